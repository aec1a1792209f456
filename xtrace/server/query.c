#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "taskiter.h"

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

/* Length of the UTF-8 sequence at s, or 0 if it is not a valid one. */
static size_t utf8_len(const unsigned char *s) {
  size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return n;
}

/* At most this many trigrams of q are looked up; any subset of them finds
 * every chunk that holds q (and a few more, which the exact check drops). */
#define MAX_TRIGRAMS 32

/* An FTS5 query for the chunks whose labels hold every trigram of q:
 * '"abc" AND "bcd" AND ...', each trigram quoted so no character is query
 * syntax; every trigram of a short q, evenly spread ones (and the last) of a
 * long one. The index has no
 * positions, so this is a superset of the chunks holding q itself; each is
 * checked with LIKE. NULL when q is shorter than three characters or not
 * valid UTF-8: such a q scans. */
static char *trigram_query(const char *q) {
  const unsigned char *s = (const unsigned char *)q;
  size_t starts[1025], n = 0; /* q is at most 1024 bytes (http.c) */
  for (size_t i = 0; s[i] && n < sizeof starts / sizeof *starts - 1;) {
    size_t k = utf8_len(s + i);
    if (!k) return NULL;
    starts[n++] = i;
    i += k;
  }
  starts[n] = strlen(q);
  if (n < 3) return NULL;
  xt__buf b;
  xt__buf_init(&b);
  size_t step = (n - 2 + MAX_TRIGRAMS - 2) / (MAX_TRIGRAMS - 1);
  for (size_t t = 0;; t += step) {
    if (t > n - 3) t = n - 3;
    if (t) xt__buf_puts(&b, " AND ");
    xt__buf_putc(&b, '"');
    for (size_t i = starts[t]; i < starts[t + 3]; i++) {
      if (s[i] == '"') xt__buf_putc(&b, '"');
      xt__buf_putc(&b, (char)s[i]);
    }
    xt__buf_putc(&b, '"');
    if (t == n - 3) break;
  }
  return xt__buf_steal(&b, NULL);
}

/* Beyond this many candidate chunks, a q is answered by walking the tasks
 * newest first and stopping at the page's end, instead of collecting the
 * tasks of every candidate: a q that most chunks hold needs only its first
 * page checked. */
#define FEW_CANDIDATES 2000

static long long count_candidates(sqlite3 *db, const char *match) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM (SELECT rowid FROM labels_fts WHERE labels_fts MATCH ?1 LIMIT ?2)",
                         -1, &st, NULL) != SQLITE_OK)
    return -EIO;
  sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, FEW_CANDIDATES + 1);
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -EIO;
  sqlite3_finalize(st);
  return n;
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
   * such a q scans the labels, as every q did before the index. Chunks the
   * index has not reached yet (above fts_state.indexed) are scanned too. */
  char *match = f->q ? trigram_query(f->q) : NULL;
  long long candidates = match ? count_candidates(db, match) : 0;
  if (f->q && (!match || candidates < 0))
    xt__buf_puts(&sql, " AND EXISTS(SELECT 1 FROM chunks c WHERE c.task = t.id AND c.labels LIKE ?1 ESCAPE '\\')");
  else if (f->q && candidates <= FEW_CANDIDATES)
    xt__buf_puts(&sql, " AND t.id IN (SELECT c.task FROM chunks c WHERE c.rowid IN"
                       " (SELECT rowid FROM labels_fts WHERE labels_fts MATCH ?6) AND c.labels LIKE ?1 ESCAPE '\\'"
                       " UNION ALL SELECT c.task FROM chunks c WHERE c.rowid > (SELECT indexed FROM fts_state)"
                       " AND c.labels LIKE ?1 ESCAPE '\\')");
  else if (f->q)
    xt__buf_puts(&sql, " AND EXISTS(SELECT 1 FROM chunks c WHERE c.task = t.id AND (c.rowid IN"
                       " (SELECT rowid FROM labels_fts WHERE labels_fts MATCH ?6)"
                       " OR c.rowid > (SELECT indexed FROM fts_state)) AND c.labels LIKE ?1 ESCAPE '\\')");
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
    free(match);
    return -EIO;
  }
  char *q = f->q ? like_pattern(f->q) : NULL;
  char *p = f->process ? like_pattern(f->process) : NULL;
  if (q) sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
  if (match) sqlite3_bind_text(st, 6, match, -1, SQLITE_TRANSIENT);
  if (f->tag) sqlite3_bind_text(st, 2, f->tag, -1, SQLITE_TRANSIENT);
  if (p) sqlite3_bind_text(st, 3, p, -1, SQLITE_TRANSIENT);
  free(q);
  free(match);
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

long xt__query_reports(sqlite3 *db, int64_t task, xt__report_cb fn, void *arg) {
  xt__task_iter *it;
  int err = xt__task_iter_open(db, task, &it);
  if (err) return err;
  long n = 0;
  int64_t ts;
  const uint8_t *raw;
  uint32_t len;
  while (!err && (err = xt__task_iter_next(it, &ts, &raw, &len)) == 1) {
    err = 0;
    Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(NULL, len, raw);
    if (!m) continue;
    n++;
    int r = fn(arg, m, ts);
    if (r != 1) pubsub__xtrace_reportv4__free_unpacked(m, NULL);
    if (r < 0) err = r;
  }
  xt__task_iter_close(it);
  return err < 0 ? err : n;
}
