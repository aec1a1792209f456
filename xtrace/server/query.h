/* Read-side queries shared by the HTTP API, the event stream and export. */
#ifndef XT_SERVER_QUERY_H
#define XT_SERVER_QUERY_H

#include <sqlite3.h>
#include <stdint.h>

#include "json.h"
#include "xtrace_report.pb-c.h"

#define XT_TASKS_DEFAULT_LIMIT 100
#define XT_TASKS_MAX_LIMIT 1000
#define XT_TASK_MAX_TAGS 64 /* tags listed per task summary */

typedef struct xt__task_filter {
  const char *q;       /* substring of any label of the task, or NULL */
  const char *tag;     /* exact tag, or NULL */
  const char *process; /* substring of a process name, or NULL */
  int64_t limit, offset;
} xt__task_filter;

/* Appends the matching task summaries, newest first, as a JSON array. */
int xt__query_tasks(sqlite3 *db, const xt__task_filter *f, xt__buf *out);

/* Appends one task summary object; -ENOENT if the task is unknown. */
int xt__query_task(sqlite3 *db, int64_t task, xt__buf *out);

/* Calls fn for each report of a task in time order (then arrival order).
 * fn returns 0 to go on, 1 to keep m (it then frees it with
 * pubsub__xtrace_reportv4__free_unpacked), or a negative errno to stop.
 * Rows whose stored bytes do not decode are skipped. Returns the number of
 * reports or a negative errno. */
typedef int (*xt__report_cb)(void *arg, const Pubsub__XTraceReportv4 *m, int64_t ts_us);
long xt__query_reports(sqlite3 *db, int64_t task, xt__report_cb fn, void *arg);

/* Parses a task ID as written in URLs and on the command line: 1 to 16 hex
 * digits, either case. Returns 0 or -EINVAL. */
int xt__parse_task_id(const char *s, size_t n, int64_t *out);

#endif
