/* serve_download.h - rayhist-serve's session download
 * (GET /c/NS/CLUSTER/SESSION[@TIME]/rayhist/download?format=F&node=ID). */
#ifndef RH_SERVE_DOWNLOAD_H
#define RH_SERVE_DOWNLOAD_H

#include <event2/event.h>
#include <event2/http.h>
#include <rayhist/rayhist.h>

/* Most downloads running at once; more get 503. */
#define RH_DOWNLOAD_MAX 4
/* Bytes produced but not yet written to the client before the producer
 * waits: memory per download stays about this. */
#define RH_DOWNLOAD_WINDOW (4u << 20)

/* On the event loop: if `req` asks for a download, answer it (a thread
 * writes the archive through rh_archive_export(), the loop sends it as a
 * chunked reply as the client takes it) and return 1; else return 0. */
int rh_serve_download(struct evhttp_request *req, struct event_base *base,
                      rh_store *st, int quiet);

#endif
