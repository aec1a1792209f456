/* The HTTP API and the embedded web UI, on libmicrohttpd with one thread per
 * connection (the event stream blocks between messages). */
#ifndef XT_SERVER_HTTP_H
#define XT_SERVER_HTTP_H

#include "access.h"
#include "events.h"
#include "reader.h"

typedef struct xt__http xt__http;

/* Takes ownership of the listening socket fd. Requests whose Host is not in
 * hosts (kept, not owned, until xt__http_stop) get 403. Reads the store at
 * loc (a ClickHouse URL in it must outlive the server). */
int xt__http_start(xt__http **out, int listen_fd, const xt__location *loc, xt__events *events,
                   const xt__hosts *hosts);
void xt__http_stop(xt__http *h);

#endif
