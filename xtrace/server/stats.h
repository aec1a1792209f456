/* Counters shared by the ingest thread, the writer thread and the HTTP API.
 * Relaxed atomics: each number is read on its own, no invariant spans two. */
#ifndef XT_SERVER_STATS_H
#define XT_SERVER_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "json.h"

typedef enum xt__reject {
  XT_REJ_FRAME_TOO_LARGE, /* a length past its bound: connection dropped */
  XT_REJ_BAD_PROTOBUF,    /* message skipped */
  XT_REJ_NO_TASK,         /* decoded, but no task ID: skipped */
  XT_REJ_WRONG_TOPIC,     /* frame with another topic: skipped */
  XT_REJ_TOO_MANY_CONNS,  /* accepted and closed at once */
  XT_REJ_MEMORY_LIMIT,    /* buffered bytes past the global bound: dropped */
  XT_REJ_STALLED,         /* a partial frame left unfinished too long: dropped */
  XT_REJ_NOT_ALLOWED,     /* a peer outside --reports-allow: closed at accept */
  XT_REJ_COUNT
} xt__reject;

typedef struct xt__stats {
  atomic_uint_fast64_t received; /* reports decoded and queued for storage */
  atomic_uint_fast64_t stored;   /* reports committed to the database */
  atomic_uint_fast64_t batches;  /* committed transactions */
  atomic_uint_fast64_t accepted; /* connections accepted since start */
  atomic_int_fast64_t connections; /* publisher connections open now */
  atomic_int_fast64_t buffered;  /* bytes held in partial frames now */
  atomic_uint_fast64_t copied;   /* bytes of partial frames copied between reads */
  atomic_int_fast64_t search_lag; /* stored chunks the search index has not reached */
  atomic_uint_fast64_t store_errors; /* failed commit attempts */
  atomic_uint_fast64_t reports_lost; /* accepted, never stored */
  atomic_int store_failing;          /* commits failing now: ingest paused */
  atomic_uint_fast64_t tasks_deleted; /* by retention */
  atomic_uint_fast64_t partitions_dropped; /* by retention, ClickHouse day partitions */
  atomic_uint_fast64_t rejected[XT_REJ_COUNT];
} xt__stats;

extern xt__stats xt__g_stats;

const char *xt__reject_name(xt__reject r);
void xt__stats_count(xt__reject r);
void xt__stats_json(xt__buf *b);

#endif
