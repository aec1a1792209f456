/* The ClickHouse store's tables (chstore.c describes them) and the day
 * partitions retention drops. */
#ifndef XT_SERVER_CHSCHEMA_H
#define XT_SERVER_CHSCHEMA_H

#include <stdint.h>

#include "chconn.h"

/* Microseconds per partition: reports are partitioned by day number. */
#define XT_CH_DAY_US INT64_C(86400000000)

/* Creates whatever is missing on the node c talks to. 0 or the error of
 * xt__ch_exec. */
int xt__chschema_create(xt__ch *c, const xt__ch_url *u);

/* The table a query on one node reads for data local to it: "reports_local"
 * with a cluster, else "reports" (same for "tasks"). */
const char *xt__chschema_suffix(const xt__ch_url *u);

/* Drops, on the node c talks to, the day partitions of both local tables
 * that end before before_us. Returns how many partitions it dropped, or
 * the error of xt__ch_exec. */
int xt__chschema_drop_before(xt__ch *c, const xt__ch_url *u, int64_t before_us);

#endif
