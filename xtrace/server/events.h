/* The live stream of new and updated tasks (Server-Sent Events). The writer
 * publishes one message per task it changed into a fixed ring; each client
 * reads the ring at its own pace. A client that falls a whole ring behind is
 * told to reload the task list instead of the server keeping a backlog, so
 * memory stays bounded however slow the readers are. */
#ifndef XT_SERVER_EVENTS_H
#define XT_SERVER_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "reader.h"

#define XT_EVENTS_RING 512
#define XT_EVENTS_KEEPALIVE_MS 15000

typedef struct xt__events xt__events;
typedef struct xt__sse_client xt__sse_client;

int xt__events_new(xt__events **out, size_t max_clients);
void xt__events_free(xt__events *e);
/* Wakes every client so their streams end (before the HTTP daemon stops). */
void xt__events_shutdown(xt__events *e);
/* An xt__commit_fn: publishes the summaries of the changed tasks. */
void xt__events_commit(void *arg, xt__reader *r, const int64_t *tasks, size_t n);
/* Stream clients connected now. */
size_t xt__events_clients(xt__events *e);
/* Publishes one SSE message with the given event name and JSON data. */
void xt__events_publish(xt__events *e, const char *event, const char *json, size_t len);

/* NULL when max_clients are connected already. */
xt__sse_client *xt__events_subscribe(xt__events *e);
void xt__events_unsubscribe(xt__sse_client *c);
/* Copies the next bytes of the stream into buf, waiting up to the keep-alive
 * interval for a message (then a comment line is sent). Returns the byte
 * count, or -1 once the stream has ended (shutdown). */
ssize_t xt__events_read(xt__sse_client *c, char *buf, size_t max);

#endif
