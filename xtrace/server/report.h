/* One X-Trace v4 report: decoding with validation, timestamp normalisation,
 * and its JSON and plain-text forms. */
#ifndef XT_SERVER_REPORT_H
#define XT_SERVER_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "json.h"
#include "xtrace_report.pb-c.h"

/* Custom key/value pairs past this many are not shown: the check for keys
 * that repeat is quadratic and a hostile report may carry thousands. */
#define XT_REPORT_MAX_CUSTOM 256

/* Epoch microseconds from a report's timestamp, whatever its unit: the spec
 * says milliseconds (Java client), the Go client and ours send microseconds.
 * Values below 1e14 are milliseconds (1e14 us is 1973, 1e14 ms is year 5138),
 * from 1e17 on nanoseconds; 0 for a missing or negative value. */
int64_t xt__ts_to_us(int64_t ts);

/* Unpacks a serialized report. Returns 0 and sets *out, -EBADMSG if the
 * bytes are not a report (or there was no memory), -ENODATA if the report
 * carries no task ID. Without an arena (a == NULL) *out is malloc'd and the
 * caller frees it with pubsub__xtrace_reportv4__free_unpacked(m, NULL); with
 * one, *out lives in the arena until the arena is reset or rewound past it,
 * and must not be freed. On failure nothing is left allocated in either. */
int xt__report_decode(const uint8_t *raw, size_t len, xt__arena *a, Pubsub__XTraceReportv4 **out);

/* Gives back a report from xt__report_decode: frees it, or with an arena
 * rewinds the arena to `before` (taken just before the decode), which also
 * gives back whatever was allocated there after it. */
void xt__report_discard(Pubsub__XTraceReportv4 *m, xt__arena *a, xt__arena_mark before);

/* The stored time of a report: its normalised timestamp, or now_us when it
 * has none. */
int64_t xt__report_time(const Pubsub__XTraceReportv4 *m, int64_t now_us);

/* Appends the report as a reference-compatible JSON object; ts_us is the
 * stored (normalised) time, written as "Timestamp" in epoch microseconds. */
void xt__report_json(xt__buf *b, const Pubsub__XTraceReportv4 *m, int64_t ts_us);

/* Appends the report as "Key: value" lines after an "X-Trace Report ver 1.0"
 * line, ending with a blank line; newlines inside values are written as \n. */
void xt__report_text(xt__buf *b, const Pubsub__XTraceReportv4 *m, int64_t ts_us);

/* Calls fn for each custom key/value pair that is shown: paired, not one of
 * the standard keys, not a repeat of an earlier key. */
void xt__report_custom(const Pubsub__XTraceReportv4 *m,
                       void (*fn)(void *arg, const char *key, const char *value), void *arg);

#endif
