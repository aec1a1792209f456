/* Turns the bytes received on one publisher connection into reports: frames
 * are cut with xt_frame_parse, frames of other topics and messages that do not
 * decode are skipped and counted, and a length past its bound ends the
 * stream. Kept apart from the sockets so tests and the fuzzer drive it. */
#ifndef XT_SERVER_STREAM_H
#define XT_SERVER_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "xtrace_report.pb-c.h"

/* Receives each good report; owns msg from then on. Returns 0, or a negative
 * errno to stop consuming (the bytes of that frame count as consumed). */
typedef int (*xt__report_fn)(void *arg, Pubsub__XTraceReportv4 *msg, const uint8_t *raw, size_t len);

/* Consumes every complete frame at the start of buf[0..len). Returns the bytes
 * consumed (the rest is a partial frame to keep), -EMSGSIZE when the stream
 * cannot be trusted any more (drop the connection), or fn's error. *frames
 * (if not NULL) gets the number of complete frames seen. */
long xt__stream_consume(const uint8_t *buf, size_t len, xt__report_fn fn, void *arg, size_t *frames);

#endif
