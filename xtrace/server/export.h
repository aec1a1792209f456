/* --export: one task written to a stream as reference JSON, Graphviz DOT or
 * Chrome trace-event JSON (chrome://tracing, Perfetto). */
#ifndef XT_SERVER_EXPORT_H
#define XT_SERVER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "reader.h"

typedef enum xt__format { XT_FMT_JSON, XT_FMT_DOT, XT_FMT_CHROME } xt__format;

/* Appends the task in the given format. Returns the number of reports, or a
 * negative errno. */
long xt__export_task(xt__reader *db, int64_t task, xt__format fmt, xt__buf *out);

/* The whole --export command: parses task and format, opens the store at
 * loc, writes to out. Errors are logged; returns 0 or a negative errno. */
int xt__export_main(const xt__location *loc, const char *task, const char *format, FILE *out);

#endif
