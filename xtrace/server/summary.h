/* The writer's fold of one transaction: reports are grouped per task in
 * memory, then each task costs a few statements per commit rather than per
 * report: its chunk of reports (chunk.h), its summary row (count, first/last
 * time, title), its distinct processes and tags. */
#ifndef XT_SERVER_SUMMARY_H
#define XT_SERVER_SUMMARY_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "xtrace_report.pb-c.h"

typedef struct xt__summary xt__summary;

int xt__summary_new(xt__summary **out, sqlite3 *db);
void xt__summary_free(xt__summary *s);
/* Starts a new transaction's fold. */
void xt__summary_reset(xt__summary *s);
/* Folds one report in (raw is its serialized form); m must stay valid until
 * xt__summary_flush. */
int xt__summary_add(xt__summary *s, const Pubsub__XTraceReportv4 *m, int64_t ts_us, const uint8_t *raw,
                    size_t len);
/* Writes the fold: chunks and summary tables. */
int xt__summary_flush(xt__summary *s);
/* The tasks touched since the last reset. */
const int64_t *xt__summary_tasks(const xt__summary *s, size_t *n);

#endif
