/* Read-side queries on the ClickHouse store: the same JSON as the SQLite
 * ones (query.c) for the same reports. Every answer is RowBinary, so the
 * stored bytes come back exactly. Task lists read the summary table, whose
 * states ignore copies; of a task's reports, a row stored twice shows
 * once (ch_reports). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chschema.h"
#include "log.h"
#include "reader.h"
#include "rowbin.h"
#include "taskiter.h"

#define QUERY_TIMEOUT_MS 30000

typedef struct chq {
  const xt__ch_url *u;
  xt__ch *c;
  int owned;
} chq;

/* Runs sql (NUL-terminated in b) and replaces b's contents with the answer. */
static int query(chq *q, xt__buf *sql, xt__buf *ans) {
  xt__buf_putc(sql, 0);
  if (sql->oom) return -ENOMEM;
  int rc = xt__ch_exec(q->c, sql->data, NULL, 0, ans);
  if (rc < 0) xt__log("clickhouse", "query: %s", xt__ch_error(q->c));
  return rc == -ENOMEM ? rc : rc < 0 ? -EIO : ans->oom ? -ENOMEM : 0;
}

typedef struct proc {
  const char *host;
  size_t hlen;
  int32_t pid;
} proc;

typedef struct summary {
  uint64_t task, first, last, reports;
  const char *title;
  size_t tlen;
  long processes, hosts;
  const char **tags;
  size_t *tag_lens, ntags;
} summary;

static int same(const char *a, size_t an, const char *b, size_t bn) { return an == bn && memcmp(a, b, an) == 0; }

/* The counting rule of query.c's summaries: distinct (host, pid) pairs
 * with a pid; one without a host is its own process only if that pid was
 * never seen with a host; distinct non-empty hosts; at least one of each. */
static void count_procs(summary *s, const proc *p, size_t n) {
  long procs = 0, hosts = 0;
  for (size_t i = 0; i < n; i++) {
    int dup = 0, first_host = p[i].hlen > 0;
    for (size_t j = 0; j < i; j++) {
      if (same(p[i].host, p[i].hlen, p[j].host, p[j].hlen)) {
        first_host = 0;
        if (p[i].pid == p[j].pid) dup = 1;
      }
    }
    hosts += first_host;
    if (dup || p[i].pid == 0) continue;
    int counted = 1;
    if (p[i].hlen == 0)
      for (size_t j = 0; j < n; j++)
        if (p[j].pid == p[i].pid && p[j].hlen > 0) counted = 0;
    procs += counted;
  }
  s->processes = procs > 0 ? procs : 1;
  s->hosts = hosts > 0 ? hosts : 1;
}

typedef struct tagref {
  const char *s;
  size_t n;
} tagref;

/* Byte order, as SQLite's BINARY collation sorts them. */
static int by_bytes(const void *a, const void *b) {
  const tagref *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
  return c ? c : x->n < y->n ? -1 : x->n > y->n;
}

/* Reads one summary row and writes its JSON object. */
static int summary_json(xt__rb *r, xt__buf *out, uint64_t *task) {
  summary s = {0};
  s.task = xt__rb_u64(r);
  s.first = xt__rb_u64(r);
  s.last = xt__rb_u64(r);
  s.reports = xt__rb_u64(r);
  s.title = xt__rb_str(r, &s.tlen);
  uint64_t np = xt__rb_varint(r);
  if (r->bad || np > (uint64_t)(r->end - r->p)) return -EIO;
  proc *p = malloc((np ? np : 1) * sizeof *p);
  if (!p) return -ENOMEM;
  for (uint64_t i = 0; i < np; i++) {
    size_t nn;
    p[i].host = xt__rb_str(r, &p[i].hlen);
    p[i].pid = xt__rb_i32(r);
    xt__rb_str(r, &nn);
  }
  count_procs(&s, p, (size_t)np);
  free(p);
  uint64_t nt = xt__rb_varint(r);
  if (r->bad || nt > (uint64_t)(r->end - r->p)) return -EIO;
  tagref *t = malloc((nt ? nt : 1) * sizeof *t);
  if (!t) return -ENOMEM;
  for (uint64_t i = 0; i < nt; i++) t[i].s = xt__rb_str(r, &t[i].n);
  if (r->bad) {
    free(t);
    return -EIO;
  }
  qsort(t, (size_t)nt, sizeof *t, by_bytes);
  xt__buf_puts(out, "{\"id\":");
  xt__json_id_hex(out, (int64_t)s.task);
  xt__buf_puts(out, ",\"title\":");
  xt__json_str(out, s.title, s.tlen);
  xt__buf_printf(out, ",\"reports\":%" PRIu64 ",\"processes\":%ld,\"hosts\":%ld,\"first\":%" PRIu64
                      ",\"last\":%" PRIu64 ",\"tags\":[",
                 s.reports, s.processes, s.hosts, s.first, s.last);
  for (uint64_t i = 0; i < nt && i < XT_TASK_MAX_TAGS; i++) {
    if (i) xt__buf_putc(out, ',');
    xt__json_str(out, t[i].s, t[i].n);
  }
  xt__buf_puts(out, "]}");
  free(t);
  *task = s.task;
  return 0;
}

/* Runs a summary query (the columns of summary_head, one row a task) and
 * appends the rows' JSON objects, comma-separated, in the answer's order.
 * Returns how many it wrote. */
static int summary_rows(chq *q, xt__buf *sql, xt__buf *out) {
  xt__buf ans;
  xt__buf_init(&ans);
  int rc = query(q, sql, &ans), n = 0;
  xt__rb r = {(const uint8_t *)ans.data, (const uint8_t *)ans.data + ans.len, 0};
  while (rc == 0 && r.p < r.end) {
    uint64_t task;
    if (n) xt__buf_putc(out, ',');
    if ((rc = summary_json(&r, out, &task)) == 0) n++;
  }
  xt__buf_free(&ans);
  return rc < 0 ? rc : out->oom ? -ENOMEM : n;
}

static void summary_head(chq *q, xt__buf *sql) {
  xt__buf_printf(sql,
                 "SELECT task, minMerge(first) AS f, maxMerge(last), uniqExactMerge(reports), argMinMerge(title),"
                 " groupUniqArrayMerge(procs), groupUniqArrayArrayMerge(tags) FROM %s.tasks WHERE task ",
                 q->u->db);
}

/* One query: the page of task IDs, newest first, chosen from the
 * summaries in a subquery (GLOBAL: it runs once, over every shard), then
 * the full summaries of that page only. A label search reads the local
 * reports of each shard: a task's reports and summary share one. */
static int ch_tasks(void *h, const xt__task_filter *f, xt__buf *out) {
  chq *q = h;
  const char *db = q->u->db, *l = xt__chschema_suffix(q->u);
  xt__buf sql;
  xt__buf_init(&sql);
  summary_head(q, &sql);
  xt__buf_printf(&sql, "GLOBAL IN (SELECT task FROM (SELECT task, minMerge(first) AS f FROM %s.tasks", db);
  if (f->q) {
    xt__buf_printf(&sql, " WHERE task IN (SELECT task FROM %s.reports%s WHERE positionCaseInsensitive(label, ", db, l);
    xt__ch_quote(&sql, f->q);
    xt__buf_puts(&sql, ") > 0)");
  }
  xt__buf_puts(&sql, " GROUP BY task");
  if (f->tag || f->process) xt__buf_puts(&sql, " HAVING 1");
  if (f->tag) {
    xt__buf_puts(&sql, " AND has(groupUniqArrayArrayMerge(tags), ");
    xt__ch_quote(&sql, f->tag);
    xt__buf_putc(&sql, ')');
  }
  if (f->process) {
    xt__buf_puts(&sql, " AND arrayExists(p -> positionCaseInsensitive(tupleElement(p, 3), ");
    xt__ch_quote(&sql, f->process);
    xt__buf_puts(&sql, ") > 0, groupUniqArrayMerge(procs))");
  }
  xt__buf_printf(&sql, " ORDER BY f DESC, task DESC LIMIT %lld, %lld))", (long long)f->offset, (long long)f->limit);
  xt__buf_puts(&sql, " GROUP BY task ORDER BY f DESC, task DESC FORMAT RowBinary");
  xt__buf_putc(out, '[');
  int rc = summary_rows(q, &sql, out);
  xt__buf_putc(out, ']');
  xt__buf_free(&sql);
  return rc < 0 ? rc : 0;
}

static int ch_task(void *h, int64_t task, xt__buf *out) {
  xt__buf sql;
  xt__buf_init(&sql);
  summary_head(h, &sql);
  xt__buf_printf(&sql, "= %" PRIu64 " GROUP BY task FORMAT RowBinary", (uint64_t)task);
  int rc = summary_rows(h, &sql, out);
  xt__buf_free(&sql);
  return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

/* Rows of a task's walk per query: some megabytes of reports, so memory
 * stays bounded however long the task, in queries few enough that their
 * overhead does not count. */
#ifndef XT_CH_PAGE_ROWS
#define XT_CH_PAGE_ROWS 16384
#endif

typedef struct ch_pager {
  chq *q;
  uint64_t task;
} ch_pager;

/* The page after `after` in (time, seq, event) order; strictly after, so
 * the copies of the last row walked (a retried INSERT's, kept until a merge
 * collapses them) are not read again. Not FINAL, which on a Distributed
 * table cost several times the query itself: copies are exact and
 * adjacent in this order, and the walk skips them. */
static int ch_fetch(void *arg, const uint64_t *after, uint8_t **rows, size_t *len) {
  ch_pager *p = arg;
  xt__buf sql, ans;
  xt__buf_init(&sql);
  xt__buf_init(&ans);
  xt__buf_printf(&sql, "SELECT time, seq, event, data FROM %s.reports WHERE task = %" PRIu64, p->q->u->db, p->task);
  if (after)
    xt__buf_printf(&sql,
                   " AND (time > %" PRIu64 " OR (time = %" PRIu64 " AND (seq > %" PRIu64 " OR (seq = %" PRIu64
                   " AND event > %" PRIu64 "))))",
                   after[0], after[0], after[1], after[1], after[2]);
  xt__buf_printf(&sql, " ORDER BY time, seq, event LIMIT %d FORMAT RowBinary", XT_CH_PAGE_ROWS);
  int rc = query(p->q, &sql, &ans);
  xt__buf_free(&sql);
  if (rc < 0) {
    xt__buf_free(&ans);
    return rc;
  }
  *len = ans.len;
  *rows = (uint8_t *)xt__buf_steal(&ans, NULL);
  return *len && !*rows ? -ENOMEM : 0;
}

static void ch_pager_free(void *arg) { free(arg); }

/* The count and version of a task's distinct rows, as the walk will see
 * them: the version is the sum of their sequence numbers (halved), which
 * any new report changes. */
static int count_rows(chq *q, uint64_t task, int64_t *total, int64_t *version) {
  xt__buf sql, ans;
  xt__buf_init(&sql);
  xt__buf_init(&ans);
  xt__buf_printf(&sql,
                 "SELECT count(), sum(seq) FROM (SELECT time, seq, event FROM %s.reports WHERE task = %" PRIu64
                 " GROUP BY time, seq, event) FORMAT RowBinary",
                 q->u->db, task);
  int rc = query(q, &sql, &ans);
  xt__buf_free(&sql);
  if (rc == 0) {
    xt__rb r = {(const uint8_t *)ans.data, (const uint8_t *)ans.data + ans.len, 0};
    uint64_t n = xt__rb_u64(&r), sum = xt__rb_u64(&r);
    if (r.bad || n > INT64_MAX) rc = -EIO;
    *total = (int64_t)n;
    *version = (int64_t)(sum >> 1);
  }
  xt__buf_free(&ans);
  return rc;
}

static int ch_iter(void *h, int64_t task, xt__task_iter **out) {
  chq *q = h;
  int64_t total = 0, version = 0;
  int rc = count_rows(q, (uint64_t)task, &total, &version);
  if (rc < 0) return rc;
  ch_pager *p = malloc(sizeof *p);
  if (!p) return -ENOMEM;
  *p = (ch_pager){q, (uint64_t)task};
  xt__task_pager pg = {ch_fetch, ch_pager_free, p};
  return xt__task_iter_paged(&pg, total, version, out);
}

static long ch_reports(void *h, int64_t task, xt__report_cb fn, void *arg) {
  xt__task_iter *it;
  int rc = ch_iter(h, task, &it);
  if (rc < 0) return rc;
  long n = 0;
  int64_t ts;
  const uint8_t *raw;
  uint32_t len;
  while ((rc = xt__task_iter_next(it, &ts, &raw, &len)) == 1) {
    Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(NULL, len, raw);
    if (!m) continue;
    n++;
    int k = fn(arg, m, ts);
    if (k != 1) pubsub__xtrace_reportv4__free_unpacked(m, NULL);
    if (k < 0) {
      rc = k;
      break;
    }
  }
  xt__task_iter_close(it);
  return rc < 0 ? rc : n;
}

static void ch_close(void *h) {
  chq *q = h;
  if (q->owned) xt__ch_close(q->c);
  free(q);
}

static const xt__reader_ops clickhouse_ops = {ch_tasks, ch_task, ch_reports, ch_iter, ch_close};

int xt__chquery_borrow(const xt__ch_url *u, xt__ch *c, xt__reader *out) {
  chq *q = calloc(1, sizeof *q);
  if (!q) return -ENOMEM;
  *q = (chq){u, c, 0};
  *out = (xt__reader){&clickhouse_ops, q};
  return 0;
}

xt__ch *xt__chquery_conn(xt__reader *r) { return ((chq *)r->h)->c; }

int xt__chquery_open(const xt__ch_url *u, xt__reader *out) {
  xt__ch *c;
  int rc = xt__ch_open(&c, u, 0, QUERY_TIMEOUT_MS);
  if (rc < 0) return rc;
  if ((rc = xt__chquery_borrow(u, c, out)) < 0) {
    xt__ch_close(c);
    return rc;
  }
  ((chq *)out->h)->owned = 1;
  return 0;
}
