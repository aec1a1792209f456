/* Turns the bytes received on one publisher connection into reports: frames
 * are cut with xt_frame_parse, frames of other topics and messages that do not
 * decode are skipped and counted, and a length past its bound ends the
 * stream. Kept apart from the sockets so tests and the fuzzer drive it. */
#ifndef XT_SERVER_STREAM_H
#define XT_SERVER_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "xtrace_report.pb-c.h"

/* Where the reports of a stream go. */
typedef struct xt__stream_sink {
  /* Receives each good report. Returns 1 if it keeps msg, 0 to leave it to
   * the stream (which frees it, or rewinds the arena it was decoded into),
   * or a negative errno to stop consuming (msg is left to the stream too;
   * the bytes of that frame count as consumed). A kept msg from an arena
   * lives until that arena is reset; without one, the receiver frees it
   * with pubsub__xtrace_reportv4__free_unpacked(msg, NULL). */
  int (*report)(void *arg, Pubsub__XTraceReportv4 *msg, const uint8_t *raw, size_t len);
  /* The arena to decode the next report into, or NULL to malloc it; may be
   * NULL itself. Asked again before every frame, because report() may hand
   * its arena on (ingest queues a full batch, arena included, and starts
   * another); a report() that hands the arena on must keep msg. */
  xt__arena *(*arena)(void *arg);
  void *arg;
} xt__stream_sink;

/* Consumes every complete frame at the start of buf[0..len). Returns the bytes
 * consumed (the rest is a partial frame to keep), -EMSGSIZE when the stream
 * cannot be trusted any more (drop the connection), or report's error.
 * *frames (if not NULL) gets the number of complete frames seen. */
long xt__stream_consume(const uint8_t *buf, size_t len, const xt__stream_sink *sink, size_t *frames);

#endif
