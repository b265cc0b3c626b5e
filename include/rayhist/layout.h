#ifndef RAYHIST_LAYOUT_H
#define RAYHIST_LAYOUT_H
#endif
