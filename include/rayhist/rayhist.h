/*
 * rayhist/rayhist.h - the umbrella header of librayhist.
 *
 * #include <rayhist/rayhist.h> and link with `pkg-config --libs rayhist`.
 * See librayhist(3) for an overview of the layers.
 */
#ifndef RAYHIST_H
#define RAYHIST_H

#include "common.h"
#include "errors.h"
#include "buf.h"
#include "timefmt.h"
#include "store.h"
#include "seekable.h"
#include "layout.h"
#include "capture.h"
#include "archive.h"
#include "follow.h"
#include "catalog.h"
#include "events.h"
#include "history.h"
#include "dashboard.h"
#include "retention.h"
#include "search.h"

#endif
