#include "chschema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char *xt__chschema_suffix(const xt__ch_url *u) { return u->cluster[0] ? "_local" : ""; }

static int run(xt__ch *c, xt__buf *sql) {
  xt__buf_putc(sql, 0);
  int rc = sql->oom ? -ENOMEM : xt__ch_exec(c, sql->data, NULL, 0, NULL);
  sql->len = 0;
  return rc;
}

int xt__chschema_create(xt__ch *c, const xt__ch_url *u) {
  const char *db = u->db, *l = xt__chschema_suffix(u);
  xt__buf sql;
  xt__buf_init(&sql);
  int rc;
  xt__buf_printf(&sql, "CREATE DATABASE IF NOT EXISTS %s", db);
  if ((rc = run(c, &sql)) < 0) goto out;
  /* Small granules (the default is 8,192 rows): a task's 100 reports, or
   * the summaries of one page of the task list, are read from a few
   * granules instead of whole parts' worth of rows. */
  xt__buf_printf(&sql,
                 "CREATE TABLE IF NOT EXISTS %s.reports%s (task UInt64, time UInt64, event UInt64, seq UInt64,"
                 " host String, pid Int32, process String, label String, tags Array(String), data String)"
                 " ENGINE = ReplacingMergeTree PARTITION BY intDiv(time, %" PRId64 ") ORDER BY (task, time, event)"
                 " SETTINGS index_granularity = 1024",
                 db, l, XT_CH_DAY_US);
  if ((rc = run(c, &sql)) < 0) goto out;
  xt__buf_printf(&sql,
                 "CREATE TABLE IF NOT EXISTS %s.tasks%s (task UInt64, day UInt64,"
                 " first AggregateFunction(min, UInt64), last AggregateFunction(max, UInt64),"
                 " reports AggregateFunction(uniqExact, UInt64, UInt64),"
                 " title AggregateFunction(argMin, String, Tuple(UInt64, UInt64)),"
                 " procs AggregateFunction(groupUniqArray, Tuple(String, Int32, String)),"
                 " tags AggregateFunction(groupUniqArrayArray, Array(String)),"
                 " touched AggregateFunction(max, UInt32))"
                 " ENGINE = AggregatingMergeTree PARTITION BY day ORDER BY task SETTINGS index_granularity = 8",
                 db, l);
  if ((rc = run(c, &sql)) < 0) goto out;
  /* The title is the label of the earliest report, the first to arrive on
   * a tie: the least (time, seq). touched is when the task last received a
   * report, through any collector: what the live stream polls (chpoll.c). */
  xt__buf_printf(&sql,
                 "CREATE MATERIALIZED VIEW IF NOT EXISTS %s.tasks_mv%s TO %s.tasks%s AS SELECT task,"
                 " intDiv(time, %" PRId64 ") AS day, minState(time) AS first, maxState(time) AS last,"
                 " uniqExactState(time, event) AS reports, argMinState(label, (time, seq)) AS title,"
                 " groupUniqArrayState((host, pid, process)) AS procs, groupUniqArrayArrayState(tags) AS tags,"
                 " maxState(toUInt32(now())) AS touched"
                 " FROM %s.reports%s GROUP BY task, day",
                 db, l, db, l, XT_CH_DAY_US, db, l);
  if ((rc = run(c, &sql)) < 0 || !u->cluster[0]) goto out;
  xt__buf_printf(&sql,
                 "CREATE TABLE IF NOT EXISTS %s.reports AS %s.reports_local"
                 " ENGINE = Distributed(%s, %s, reports_local, intHash64(task))",
                 db, db, u->cluster, db);
  if ((rc = run(c, &sql)) < 0) goto out;
  xt__buf_printf(&sql,
                 "CREATE TABLE IF NOT EXISTS %s.tasks AS %s.tasks_local"
                 " ENGINE = Distributed(%s, %s, tasks_local, intHash64(task))",
                 db, db, u->cluster, db);
  rc = run(c, &sql);
out:
  xt__buf_free(&sql);
  return rc;
}

int xt__chschema_drop_before(xt__ch *c, const xt__ch_url *u, int64_t before_us) {
  const char *l = xt__chschema_suffix(u);
  xt__buf sql, parts;
  xt__buf_init(&sql);
  xt__buf_init(&parts);
  /* Day numbers are the partition IDs (PARTITION BY a number). */
  xt__buf_printf(&sql,
                 "SELECT DISTINCT table, partition FROM system.parts WHERE database = '%s' AND active"
                 " AND table IN ('reports%s', 'tasks%s') AND toUInt64(partition) < %" PRId64 " FORMAT TSV",
                 u->db, l, l, before_us / XT_CH_DAY_US);
  xt__buf_putc(&sql, 0);
  int rc = sql.oom ? -ENOMEM : xt__ch_exec(c, sql.data, NULL, 0, &parts), dropped = 0;
  sql.len = 0;
  xt__buf_putc(&parts, 0);
  for (char *line = parts.data, *nl; rc == 0 && line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    /* Both the table name and the partition come from the server's own
     * catalogue, filtered above to our two tables and to numbers. */
    xt__buf_printf(&sql, "ALTER TABLE %s.%s DROP PARTITION %s", u->db, line, tab + 1);
    if ((rc = run(c, &sql)) == 0) dropped++;
  }
  xt__buf_free(&sql);
  xt__buf_free(&parts);
  return rc < 0 ? rc : dropped;
}
