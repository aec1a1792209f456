/* A task's reports served piece by piece: the compatibility endpoints as a
 * stream of bytes read on demand (so a task of a million reports is never a
 * single buffer), and the JSON API's pages of one task's reports, optionally
 * of one process or thread. Both are built on taskiter.h. */
#ifndef XT_SERVER_TASKPAGE_H
#define XT_SERVER_TASKPAGE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "reader.h"

#define XT_PAGE_DEFAULT_LIMIT 1000
#define XT_PAGE_MAX_LIMIT 10000

typedef struct xt__report_stream xt__report_stream;

/* The reports of tasks ids[0..n) in the format of /interactive/reports
 * (json) or /reports (text), exactly as one buffer would hold them, from
 * any store. Takes the reader over (closed with the stream, or at once if
 * this fails). */
int xt__report_stream_open(xt__reader *rd, const int64_t *ids, int n, int json, xt__report_stream **out);
/* Copies up to max next bytes into buf: their count, 0 at the end, or a
 * negative errno (the answer is then cut short). */
ssize_t xt__report_stream_read(xt__report_stream *s, char *buf, size_t max);
void xt__report_stream_close(xt__report_stream *s);

typedef struct xt__report_page {
  int64_t offset, limit; /* in reports that pass the filter, in time order */
  const char *host;      /* only this Host ("" for reports without one), or NULL */
  int has_pid, has_tid;  /* only this ProcessID / ThreadID */
  int32_t pid, tid;
} xt__report_page;

/* Appends {"id", "offset", "limit", "total" (reports of the whole task),
 * "reports": [...], "next": offset of the next page or null}. */
int xt__query_report_page(sqlite3 *db, int64_t task, const xt__report_page *pg, xt__buf *out);

/* The same from a walk already open (another store's); it is left open. */
struct xt__task_iter;
int xt__report_page_walk(struct xt__task_iter *it, int64_t task, const xt__report_page *pg, xt__buf *out);

#endif
