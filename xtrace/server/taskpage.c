#include "taskpage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peek.h"
#include "report.h"
#include "taskiter.h"

/* The stream keeps at most about one read's worth of output (plus one
 * report) in hand: each read produces reports until it has max bytes. */
struct xt__report_stream {
  xt__reader rd;
  int64_t *ids;
  int n, next_task, json, done;
  xt__task_iter *it; /* the task being written, or NULL between tasks */
  long in_task;      /* reports written of it */
  xt__buf out;
  size_t pos; /* out.data[pos..len) not yet read */
};

int xt__report_stream_open(xt__reader *rd, const int64_t *ids, int n, int json, xt__report_stream **out) {
  xt__report_stream *s = calloc(1, sizeof *s);
  if (!s || !(s->ids = malloc((size_t)(n ? n : 1) * sizeof *ids))) {
    free(s);
    xt__reader_close(rd);
    return -ENOMEM;
  }
  if (n > 0) memcpy(s->ids, ids, (size_t)n * sizeof *ids);
  s->rd = *rd;
  rd->ops = NULL;
  s->n = n;
  s->json = json;
  xt__buf_init(&s->out);
  if (json) xt__buf_putc(&s->out, '[');
  /* The first task is opened now, so that a database that cannot be read
   * is an error status rather than a stream cut short. */
  int err = 0;
  if (n > 0) {
    if (json) {
      xt__buf_puts(&s->out, "{\"id\":");
      xt__json_id_hex(&s->out, ids[0]);
      xt__buf_puts(&s->out, ",\"reports\":[");
    }
    err = xt__reader_iter(&s->rd, ids[0], &s->it);
    s->next_task = 1;
  }
  if (err) {
    xt__report_stream_close(s);
    return err;
  }
  *out = s;
  return 0;
}

/* Writes the next report, or the end of a task and the start of the next,
 * or the end of the answer. */
static int produce(xt__report_stream *s) {
  if (!s->it) {
    if (s->next_task == s->n) {
      if (s->json) xt__buf_putc(&s->out, ']');
      s->done = 1;
      return 0;
    }
    if (s->json) {
      xt__buf_puts(&s->out, ",{\"id\":");
      xt__json_id_hex(&s->out, s->ids[s->next_task]);
      xt__buf_puts(&s->out, ",\"reports\":[");
    }
    s->in_task = 0;
    return xt__reader_iter(&s->rd, s->ids[s->next_task++], &s->it);
  }
  int64_t ts;
  const uint8_t *raw;
  uint32_t len;
  int rc = xt__task_iter_next(s->it, &ts, &raw, &len);
  if (rc < 0) return rc;
  if (rc == 0) {
    xt__task_iter_close(s->it);
    s->it = NULL;
    if (s->json) xt__buf_puts(&s->out, "]}");
    return 0;
  }
  /* Rows whose bytes do not decode are left out, as they always were. */
  Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(NULL, len, raw);
  if (!m) return 0;
  if (s->json) {
    if (s->in_task++) xt__buf_putc(&s->out, ',');
    xt__report_json(&s->out, m, ts);
  } else {
    xt__report_text(&s->out, m, ts);
  }
  pubsub__xtrace_reportv4__free_unpacked(m, NULL);
  return s->out.oom ? -ENOMEM : 0;
}

ssize_t xt__report_stream_read(xt__report_stream *s, char *buf, size_t max) {
  /* What the last read left is moved to the front, so the buffer holds at
   * most max bytes plus one report however long the answer. */
  if (s->pos) {
    memmove(s->out.data, s->out.data + s->pos, s->out.len - s->pos);
    s->out.len -= s->pos;
    s->pos = 0;
  }
  while (!s->done && s->out.len - s->pos < max) {
    int err = produce(s);
    if (err) return err;
  }
  size_t n = s->out.len - s->pos;
  if (n > max) n = max;
  /* An empty answer never allocated a buffer, and memcpy from NULL is
   * undefined even for zero bytes. */
  if (n == 0) return 0;
  memcpy(buf, s->out.data + s->pos, n);
  s->pos += n;
  return (ssize_t)n;
}

void xt__report_stream_close(xt__report_stream *s) {
  if (!s) return;
  xt__task_iter_close(s->it);
  xt__reader_close(&s->rd);
  xt__buf_free(&s->out);
  free(s->ids);
  free(s);
}

static int passes(const xt__report_page *pg, const uint8_t *raw, uint32_t len) {
  if (!pg->host && !pg->has_pid && !pg->has_tid) return 1;
  xt__report_keys k;
  if (xt__report_peek(raw, len, &k) < 0) return 0;
  if (pg->has_pid && k.process_id != pg->pid) return 0;
  if (pg->has_tid && k.thread_id != pg->tid) return 0;
  if (pg->host && (strlen(pg->host) != k.host_len || memcmp(pg->host, k.host ? k.host : "", k.host_len) != 0))
    return 0;
  return 1;
}

int xt__query_report_page(sqlite3 *db, int64_t task, const xt__report_page *pg, xt__buf *out) {
  xt__task_iter *it;
  int err = xt__task_iter_open(db, task, &it);
  if (err) return err;
  err = xt__report_page_walk(it, task, pg, out);
  xt__task_iter_close(it);
  return err;
}

int xt__report_page_walk(xt__task_iter *it, int64_t task, const xt__report_page *pg, xt__buf *out) {
  xt__buf_puts(out, "{\"id\":");
  xt__json_id_hex(out, task);
  xt__buf_printf(out, ",\"offset\":%lld,\"limit\":%lld,\"total\":%lld,\"reports\":[", (long long)pg->offset,
                 (long long)pg->limit, (long long)xt__task_iter_total(it));
  int64_t seen = 0, taken = 0, shown = 0, ts;
  const uint8_t *raw;
  uint32_t len;
  int rc, more = 0;
  /* Reports before the page are only peeked at, never decoded; one more
   * match past the page says whether there is a next one. */
  while ((rc = xt__task_iter_next(it, &ts, &raw, &len)) == 1) {
    if (!passes(pg, raw, len)) continue;
    if (seen++ < pg->offset) continue;
    if (taken == pg->limit) {
      more = 1;
      break;
    }
    taken++;
    Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(NULL, len, raw);
    if (!m) continue;
    if (shown++) xt__buf_putc(out, ',');
    xt__report_json(out, m, ts);
    pubsub__xtrace_reportv4__free_unpacked(m, NULL);
  }
  if (rc < 0) return rc;
  if (more)
    xt__buf_printf(out, "],\"next\":%lld}", (long long)(pg->offset + taken));
  else
    xt__buf_puts(out, "],\"next\":null}");
  return out->oom ? -ENOMEM : 0;
}
