#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "query.h"
#include "report.h"
#include "store.h"

typedef struct rep {
  Pubsub__XTraceReportv4 *m;
  int64_t ts;
  int64_t dur; /* until the next event of the same thread, -1 for the last */
} rep;

typedef struct task_reps {
  rep *v;
  size_t n, cap;
} task_reps;

static int keep(void *arg, const Pubsub__XTraceReportv4 *m, int64_t ts) {
  task_reps *t = arg;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    rep *v = realloc(t->v, cap * sizeof *v);
    if (!v) return -ENOMEM;
    t->v = v;
    t->cap = cap;
  }
  t->v[t->n++] = (rep){(Pubsub__XTraceReportv4 *)m, ts, -1};
  return 1;
}

static void free_reps(task_reps *t) {
  for (size_t i = 0; i < t->n; i++) pubsub__xtrace_reportv4__free_unpacked(t->v[i].m, NULL);
  free(t->v);
}

static const char *str(const char *s) { return s ? s : ""; }

static int same_thread(const rep *a, const rep *b) {
  return a->m->process_id == b->m->process_id && a->m->thread_id == b->m->thread_id &&
         strcmp(str(a->m->host), str(b->m->host)) == 0;
}

/* The index of the report with this event ID, or -1; linear from a sorted
 * copy would be faster, but exports are one-off and tasks are thousands. */
typedef struct id_index {
  int64_t id;
  size_t at;
} id_index;

static int cmp_id(const void *a, const void *b) {
  int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
  return x < y ? -1 : x > y;
}

static id_index *index_ids(const task_reps *t) {
  id_index *ix = malloc((t->n ? t->n : 1) * sizeof *ix);
  if (!ix) return NULL;
  for (size_t i = 0; i < t->n; i++) ix[i] = (id_index){t->v[i].m->event_id, i};
  qsort(ix, t->n, sizeof *ix, cmp_id);
  return ix;
}

static long find_id(const id_index *ix, size_t n, int64_t id) {
  id_index key = {id, 0};
  const id_index *hit = bsearch(&key, ix, n, sizeof *ix, cmp_id);
  return hit ? (long)hit->at : -1;
}

/* DOT strings: backslash sequences are label escapes in Graphviz, so a
 * backslash is doubled, quotes are escaped, line breaks become \n. */
static void dot_str(xt__buf *b, const char *s) {
  xt__buf clean;
  xt__buf_init(&clean);
  xt__utf8_clean(&clean, str(s), strlen(str(s)));
  xt__buf_putc(b, '"');
  for (size_t i = 0; i < clean.len; i++) {
    char c = clean.data[i];
    if (c == '"' || c == '\\')
      xt__buf_putc(b, '\\'), xt__buf_putc(b, c);
    else if (c == '\n')
      xt__buf_puts(b, "\\n");
    else if ((unsigned char)c < 0x20)
      xt__buf_putc(b, ' ');
    else
      xt__buf_putc(b, c);
  }
  xt__buf_putc(b, '"');
  xt__buf_free(&clean);
}

static void write_dot(const task_reps *t, int64_t task, const id_index *ix, xt__buf *b) {
  xt__buf_printf(b, "digraph \"xtrace_%016" PRIx64 "\" {\n  node [shape=box, fontname=\"monospace\"];\n",
                 (uint64_t)task);
  for (size_t i = 0; i < t->n; i++) {
    const Pubsub__XTraceReportv4 *m = t->v[i].m;
    xt__buf label;
    xt__buf_init(&label);
    xt__buf_printf(&label, "%s\n%s pid %d tid %d", str(m->label), str(m->host), (int)m->process_id,
                   (int)m->thread_id);
    xt__buf_printf(b, "  \"%" PRId64 "\" [label=", m->event_id);
    dot_str(b, label.data ? label.data : "");
    xt__buf_puts(b, "];\n");
    xt__buf_free(&label);
  }
  for (size_t i = 0; i < t->n; i++) {
    const Pubsub__XTraceReportv4 *m = t->v[i].m;
    for (size_t p = 0; p < m->n_parent_event_id; p++) {
      long at = find_id(ix, t->n, m->parent_event_id[p]);
      if (at < 0) continue; /* a parent that never reported: no dangling node */
      const char *style = strcmp(str(t->v[at].m->host), str(m->host)) != 0 ||
                                  t->v[at].m->process_id != m->process_id
                              ? " [style=bold, color=\"#c0392b\"]"
                              : "";
      xt__buf_printf(b, "  \"%" PRId64 "\" -> \"%" PRId64 "\"%s;\n", m->parent_event_id[p], m->event_id, style);
    }
  }
  xt__buf_puts(b, "}\n");
}

static void chrome_common(xt__buf *b, const Pubsub__XTraceReportv4 *m, int64_t ts) {
  xt__buf_printf(b, ",\"pid\":%d,\"tid\":%d,\"ts\":%" PRId64, (int)m->process_id, (int)m->thread_id, ts);
}

static void chrome_meta(xt__buf *b, const task_reps *t) {
  for (size_t i = 0; i < t->n; i++) {
    const Pubsub__XTraceReportv4 *m = t->v[i].m;
    int new_proc = 1, new_thread = 1;
    for (size_t j = 0; j < i && (new_proc || new_thread); j++) {
      if (t->v[j].m->process_id == m->process_id) new_proc = 0;
      if (same_thread(&t->v[j], &t->v[i])) new_thread = 0;
    }
    if (new_proc) {
      xt__buf_printf(b, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":", (int)m->process_id);
      xt__buf name;
      xt__buf_init(&name);
      xt__buf_printf(&name, "%s (%s)", str(m->process_name), str(m->host));
      xt__json_str(b, name.data ? name.data : "", name.len);
      xt__buf_free(&name);
      xt__buf_puts(b, "}},\n");
    }
    if (new_thread) {
      xt__buf_printf(b, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
                     (int)m->process_id, (int)m->thread_id);
      xt__json_cstr(b, m->threadname && *m->threadname ? m->threadname : "thread");
      xt__buf_puts(b, "}},\n");
    }
  }
}

/* Each report is a slice lasting until the next event of its thread (the last
 * one an instant); a causal edge between threads is a flow arrow from the
 * parent's slice to the child's. */
static void write_chrome(const task_reps *t, const id_index *ix, xt__buf *b) {
  xt__buf_puts(b, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
  chrome_meta(b, t);
  uint64_t flow = 0;
  for (size_t i = 0; i < t->n; i++) {
    const rep *r = &t->v[i];
    const Pubsub__XTraceReportv4 *m = r->m;
    xt__buf_puts(b, "{\"name\":");
    xt__json_cstr(b, m->label);
    xt__buf_puts(b, ",\"cat\":");
    xt__json_cstr(b, m->agent && *m->agent ? m->agent : "xtrace");
    if (r->dur >= 0)
      xt__buf_printf(b, ",\"ph\":\"X\",\"dur\":%" PRId64, r->dur);
    else
      xt__buf_puts(b, ",\"ph\":\"i\",\"s\":\"t\"");
    chrome_common(b, m, r->ts);
    xt__buf_puts(b, ",\"args\":");
    xt__report_json(b, m, r->ts);
    xt__buf_puts(b, "},\n");
    for (size_t p = 0; p < m->n_parent_event_id; p++) {
      long at = find_id(ix, t->n, m->parent_event_id[p]);
      if (at < 0 || same_thread(&t->v[at], r)) continue;
      flow++;
      xt__buf_printf(b, "{\"ph\":\"s\",\"name\":\"causal\",\"cat\":\"causal\",\"id\":%" PRIu64, flow);
      chrome_common(b, t->v[at].m, t->v[at].ts);
      xt__buf_puts(b, "},\n");
      xt__buf_printf(b, "{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"causal\",\"cat\":\"causal\",\"id\":%" PRIu64, flow);
      chrome_common(b, m, r->ts);
      xt__buf_puts(b, "},\n");
    }
  }
  /* A trailing empty metadata event keeps every line above comma-terminated. */
  xt__buf_puts(b, "{\"ph\":\"M\",\"name\":\"trace_end\",\"pid\":0,\"args\":{}}\n]}\n");
}

static void fill_durations(task_reps *t) {
  /* Reports come in time order, so the next event of a thread is the first
   * later report with the same thread. Quadratic in the worst case; a
   * per-thread cursor would do, but exports are one-off. */
  for (size_t i = 0; i < t->n; i++)
    for (size_t j = i + 1; j < t->n; j++)
      if (same_thread(&t->v[i], &t->v[j])) {
        t->v[i].dur = t->v[j].ts - t->v[i].ts;
        break;
      }
}

long xt__export_task(xt__reader *db, int64_t task, xt__format fmt, xt__buf *out) {
  task_reps t = {0};
  long n = xt__reader_reports(db, task, keep, &t);
  if (n < 0) {
    free_reps(&t);
    return n;
  }
  id_index *ix = index_ids(&t);
  if (!ix) {
    free_reps(&t);
    return -ENOMEM;
  }
  if (fmt == XT_FMT_JSON) {
    xt__buf_puts(out, "[{\"id\":");
    xt__json_id_hex(out, task);
    xt__buf_puts(out, ",\"reports\":[");
    for (size_t i = 0; i < t.n; i++) {
      if (i) xt__buf_puts(out, ",\n");
      xt__report_json(out, t.v[i].m, t.v[i].ts);
    }
    xt__buf_puts(out, "]}]\n");
  } else if (fmt == XT_FMT_DOT) {
    write_dot(&t, task, ix, out);
  } else {
    fill_durations(&t);
    write_chrome(&t, ix, out);
  }
  free(ix);
  free_reps(&t);
  return out->oom ? -ENOMEM : n;
}

int xt__export_main(const xt__location *loc, const char *task_s, const char *format, FILE *out) {
  int64_t task;
  xt__format fmt;
  if (xt__parse_task_id(task_s, strlen(task_s), &task) < 0) {
    xt__log("export", "bad task ID '%s': expected 1 to 16 hex digits", task_s);
    return -EINVAL;
  }
  if (strcmp(format, "json") == 0)
    fmt = XT_FMT_JSON;
  else if (strcmp(format, "dot") == 0)
    fmt = XT_FMT_DOT;
  else if (strcmp(format, "chrome") == 0)
    fmt = XT_FMT_CHROME;
  else {
    xt__log("export", "unknown format '%s': json, dot or chrome", format);
    return -EINVAL;
  }
  const char *where = loc->ch ? loc->ch->db : loc->dir;
  xt__reader db;
  if (xt__reader_open(loc, &db) < 0) {
    xt__log("export", "no database in %s", where);
    return -ENOENT;
  }
  xt__buf b;
  xt__buf_init(&b);
  long n = xt__export_task(&db, task, fmt, &b);
  xt__reader_close(&db);
  if (n == 0) xt__log("export", "task %016" PRIx64 " has no reports in %s", (uint64_t)task, where);
  int rc = n < 0 ? (int)n : n == 0 ? -ENOENT : 0;
  if (rc == 0 && fwrite(b.data, 1, b.len, out) != b.len) rc = -EIO;
  if (rc == 0 && fflush(out) != 0) rc = -EIO;
  xt__buf_free(&b);
  return rc;
}
