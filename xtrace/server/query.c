#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "log.h"

int xt__parse_task_id(const char *s, size_t n, int64_t *out) {
  if (n == 0 || n > 16) return -EINVAL;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -EINVAL;
    v = v << 4 | (uint64_t)d;
  }
  *out = (int64_t)v;
  return 0;
}

/* Wraps s in % for LIKE, escaping LIKE's own wildcards so a user's "%" or "_"
 * matches itself. */
static char *like_pattern(const char *s) {
  xt__buf b;
  xt__buf_init(&b);
  xt__buf_putc(&b, '%');
  for (; *s; s++) {
    if (*s == '%' || *s == '_' || *s == '\\') xt__buf_putc(&b, '\\');
    xt__buf_putc(&b, *s);
  }
  xt__buf_putc(&b, '%');
  return xt__buf_steal(&b, NULL);
}

/* q as one FTS5 phrase: in double quotes, its own double quotes doubled, so
 * no character of it is query syntax. */
static char *fts_phrase(const char *s) {
  xt__buf b;
  xt__buf_init(&b);
  xt__buf_putc(&b, '"');
  for (; *s; s++) {
    if (*s == '"') xt__buf_putc(&b, '"');
    xt__buf_putc(&b, *s);
  }
  xt__buf_putc(&b, '"');
  return xt__buf_steal(&b, NULL);
}

/* Characters (UTF-8 sequences) in s, counting up to 3. */
static int short_text(const char *s) {
  int n = 0;
  for (; *s && n < 3; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n < 3;
}

static const char task_cols[] = "SELECT id, title, reports, processes, hosts, first, last FROM tasks t";

static int tags_json(sqlite3 *db, int64_t task, xt__buf *out) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT tag FROM task_tags WHERE task = ?1 ORDER BY tag LIMIT ?2", -1, &st, NULL) !=
      SQLITE_OK)
    return -EIO;
  sqlite3_bind_int64(st, 1, task);
  sqlite3_bind_int(st, 2, XT_TASK_MAX_TAGS);
  xt__buf_putc(out, '[');
  int first = 1, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!first) xt__buf_putc(out, ',');
    first = 0;
    xt__json_str(out, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
  }
  xt__buf_putc(out, ']');
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : -EIO;
}

static int task_row_json(sqlite3 *db, sqlite3_stmt *st, xt__buf *out) {
  int64_t id = sqlite3_column_int64(st, 0);
  xt__buf_puts(out, "{\"id\":");
  xt__json_id_hex(out, id);
  xt__buf_puts(out, ",\"title\":");
  xt__json_str(out, (const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
  xt__buf_printf(out, ",\"reports\":%lld,\"processes\":%lld,\"hosts\":%lld,\"first\":%lld,\"last\":%lld,\"tags\":",
                 (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
                 (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5),
                 (long long)sqlite3_column_int64(st, 6));
  int rc = tags_json(db, id, out);
  xt__buf_putc(out, '}');
  return rc;
}

int xt__query_tasks(sqlite3 *db, const xt__task_filter *f, xt__buf *out) {
  xt__buf sql;
  xt__buf_init(&sql);
  xt__buf_puts(&sql, task_cols);
  xt__buf_puts(&sql, " WHERE 1");
  /* A trigram index cannot look up text shorter than three characters:
   * such a q scans the labels, as every q did before the index. */
  int q_scan = f->q && short_text(f->q);
  if (q_scan)
    xt__buf_puts(&sql, " AND EXISTS(SELECT 1 FROM chunks c WHERE c.task = t.id AND c.labels LIKE ?1 ESCAPE '\\')");
  else if (f->q)
    xt__buf_puts(&sql, " AND t.id IN (SELECT c.task FROM chunks c WHERE c.rowid IN"
                       " (SELECT rowid FROM labels_fts WHERE labels_fts MATCH ?1))");
  if (f->tag) xt__buf_puts(&sql, " AND EXISTS(SELECT 1 FROM task_tags g WHERE g.task = t.id AND g.tag = ?2)");
  if (f->process)
    xt__buf_puts(&sql, " AND EXISTS(SELECT 1 FROM task_procs p WHERE p.task = t.id"
                       " AND p.name LIKE ?3 ESCAPE '\\')");
  xt__buf_puts(&sql, " ORDER BY t.first DESC, t.id DESC LIMIT ?4 OFFSET ?5");
  sqlite3_stmt *st = NULL;
  int rc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db, sql.data, -1, &st, NULL);
  xt__buf_free(&sql);
  if (rc != SQLITE_OK) {
    xt__log("http", "task query: %s", sqlite3_errmsg(db));
    return -EIO;
  }
  char *q = !f->q ? NULL : q_scan ? like_pattern(f->q) : fts_phrase(f->q);
  char *p = f->process ? like_pattern(f->process) : NULL;
  if (q) sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
  if (f->tag) sqlite3_bind_text(st, 2, f->tag, -1, SQLITE_TRANSIENT);
  if (p) sqlite3_bind_text(st, 3, p, -1, SQLITE_TRANSIENT);
  free(q);
  free(p);
  sqlite3_bind_int64(st, 4, f->limit);
  sqlite3_bind_int64(st, 5, f->offset);
  xt__buf_putc(out, '[');
  int first = 1, err = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && !err) {
    if (!first) xt__buf_putc(out, ',');
    first = 0;
    err = task_row_json(db, st, out);
  }
  xt__buf_putc(out, ']');
  sqlite3_finalize(st);
  return err || (rc != SQLITE_DONE && rc != SQLITE_ROW) ? -EIO : 0;
}

int xt__query_task(sqlite3 *db, int64_t task, xt__buf *out) {
  sqlite3_stmt *st;
  char sql[128];
  snprintf(sql, sizeof sql, "%s WHERE id = ?1", task_cols);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -EIO;
  sqlite3_bind_int64(st, 1, task);
  int rc = sqlite3_step(st);
  int err = rc == SQLITE_ROW ? task_row_json(db, st, out) : rc == SQLITE_DONE ? -ENOENT : -EIO;
  sqlite3_finalize(st);
  return err;
}

typedef struct entry {
  int64_t ts;
  size_t seq;
  Pubsub__XTraceReportv4 *m;
} entry;

static int by_time(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Unpacks every report in one chunk onto the list. */
static int unpack_chunk(const uint8_t *p, size_t n, entry **v, size_t *len, size_t *cap) {
  int64_t ts;
  const uint8_t *raw;
  uint32_t rl;
  long k;
  while ((k = xt__chunk_next(p, n, &ts, &raw, &rl)) > 0) {
    p += k;
    n -= (size_t)k;
    Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(NULL, rl, raw);
    if (!m) continue;
    if (*len == *cap) {
      size_t c = *cap ? *cap * 2 : 256;
      entry *nv = realloc(*v, c * sizeof *nv);
      if (!nv) {
        pubsub__xtrace_reportv4__free_unpacked(m, NULL);
        return -ENOMEM;
      }
      *v = nv;
      *cap = c;
    }
    (*v)[*len] = (entry){ts, *len, m};
    (*len)++;
  }
  return k < 0 ? -EIO : 0;
}

long xt__query_reports(sqlite3 *db, int64_t task, xt__report_cb fn, void *arg) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE task = ?1 ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
    return -EIO;
  sqlite3_bind_int64(st, 1, task);
  entry *v = NULL;
  size_t n = 0, cap = 0;
  int rc, err = 0;
  while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
    err = unpack_chunk(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &v, &n, &cap);
  sqlite3_finalize(st);
  if (!err && rc != SQLITE_DONE) err = -EIO;
  /* Time order, arrival order on ties: seq is the position in chunk order. */
  if (!err && n > 1) qsort(v, n, sizeof *v, by_time);
  size_t i = 0;
  for (; i < n && !err; i++) {
    int r = fn(arg, v[i].m, v[i].ts);
    if (r != 1) pubsub__xtrace_reportv4__free_unpacked(v[i].m, NULL);
    if (r < 0) err = r;
  }
  for (; i < n; i++) pubsub__xtrace_reportv4__free_unpacked(v[i].m, NULL);
  free(v);
  return err ? err : (long)n;
}
