/* layout_internal.h - what names tell beyond layout.h (layout.c). */
#ifndef RH_LAYOUT_INTERNAL_H
#define RH_LAYOUT_INTERNAL_H

#include <stdint.h>

/* When a session started, from its name as Ray gives it:
 * session_YYYY-MM-DD_HH-MM-SS_UUUUUU_PID -> ms since the epoch (UTC);
 * 0 if the name has another shape. */
int64_t rh_layout__session_start_ms(const char *name);

#endif
