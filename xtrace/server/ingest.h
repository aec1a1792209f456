/* The report port: one thread, epoll over a non-blocking listener and every
 * publisher connection, cutting frames and queueing decoded reports. */
#ifndef XT_SERVER_INGEST_H
#define XT_SERVER_INGEST_H

#include <stddef.h>

#include "access.h"
#include "queue.h"

typedef struct xt__ingest_limits {
  size_t max_connections;  /* more are accepted and closed at once */
  size_t max_buffered;     /* bytes in partial frames over all connections */
  int stall_ms;            /* a partial frame with no progress this long: drop */
  size_t batch_reports;    /* hand a batch to the writer at this many reports */
  const xt__nets *allow;   /* peers that may publish (NULL: any); not owned */
} xt__ingest_limits;

void xt__ingest_default_limits(xt__ingest_limits *lim);

typedef struct xt__ingest xt__ingest;

/* Takes ownership of the listening socket fd. */
int xt__ingest_new(xt__ingest **out, int listen_fd, xt__queue *q, const xt__ingest_limits *lim);
int xt__ingest_start(xt__ingest *in);
/* Stops the thread, closes every connection and pushes the last batch. */
void xt__ingest_stop(xt__ingest *in);
void xt__ingest_free(xt__ingest *in);

#endif
