#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

int64_t xt__ts_to_us(int64_t ts) {
  if (ts <= 0) return 0;
  if (ts < INT64_C(100000000000000)) return ts * 1000;
  if (ts < INT64_C(100000000000000000)) return ts;
  return ts / 1000;
}

/* protobuf-c frees what it allocated when unpack fails, but in an arena free
 * is a no-op: the rewind is what gives a rejected report's memory back, so
 * a stream of garbage cannot grow a batch that never fills. */
int xt__report_decode(const uint8_t *raw, size_t len, xt__arena *a, Pubsub__XTraceReportv4 **out) {
  xt__arena_mark before = a ? xt__arena_here(a) : (xt__arena_mark){NULL, 0};
  Pubsub__XTraceReportv4 *m = pubsub__xtrace_reportv4__unpack(a ? &a->pb : NULL, len, raw);
  int err = !m ? -EBADMSG : !m->has_task_id || m->task_id == 0 ? -ENODATA : 0;
  if (err) {
    xt__report_discard(m, a, before);
    return err;
  }
  *out = m;
  return 0;
}

void xt__report_discard(Pubsub__XTraceReportv4 *m, xt__arena *a, xt__arena_mark before) {
  if (a)
    xt__arena_rewind(a, before);
  else
    pubsub__xtrace_reportv4__free_unpacked(m, NULL);
}

int64_t xt__report_time(const Pubsub__XTraceReportv4 *m, int64_t now_us) {
  int64_t us = m->has_timestamp ? xt__ts_to_us(m->timestamp) : 0;
  return us ? us : now_us;
}

static const char *const standard_keys[] = {
    "TaskID", "EventID", "ParentEventID", "Timestamp", "HRT",   "Host",  "ProcessID", "ProcessName",
    "ThreadID", "ThreadName", "Agent",  "Source",    "Label", "Tag",  "Cycles",    "TenantClass",
};

static int is_standard(const char *key) {
  for (size_t i = 0; i < sizeof standard_keys / sizeof *standard_keys; i++)
    if (strcmp(key, standard_keys[i]) == 0) return 1;
  return 0;
}

void xt__report_custom(const Pubsub__XTraceReportv4 *m,
                       void (*fn)(void *arg, const char *key, const char *value), void *arg) {
  size_t n = m->n_key < m->n_value ? m->n_key : m->n_value;
  if (n > XT_REPORT_MAX_CUSTOM) n = XT_REPORT_MAX_CUSTOM;
  for (size_t i = 0; i < n; i++) {
    const char *k = m->key[i];
    if (!k || !*k || is_standard(k)) continue;
    size_t j = 0;
    while (j < i && strcmp(m->key[j], k) != 0) j++;
    if (j < i) continue;
    fn(arg, k, m->value[i] ? m->value[i] : "");
  }
}

static void json_key(xt__buf *b, const char *key) {
  xt__buf_putc(b, ',');
  xt__json_cstr(b, key);
  xt__buf_putc(b, ':');
}

static void json_custom(void *arg, const char *key, const char *value) {
  json_key(arg, key);
  xt__json_cstr(arg, value);
}

void xt__report_json(xt__buf *b, const Pubsub__XTraceReportv4 *m, int64_t ts_us) {
  xt__buf_puts(b, "{\"TaskID\":");
  xt__json_id_hex(b, m->task_id);
  json_key(b, "EventID");
  xt__json_id_dec(b, m->event_id);
  json_key(b, "ParentEventID");
  xt__buf_putc(b, '[');
  for (size_t i = 0; i < m->n_parent_event_id; i++) {
    if (i) xt__buf_putc(b, ',');
    xt__json_id_dec(b, m->parent_event_id[i]);
  }
  xt__buf_putc(b, ']');
  json_key(b, "Timestamp");
  xt__json_i64(b, ts_us);
  json_key(b, "HRT");
  xt__json_i64(b, m->hrt);
  json_key(b, "Host");
  xt__json_cstr(b, m->host);
  json_key(b, "ProcessID");
  xt__json_i64(b, m->process_id);
  json_key(b, "ProcessName");
  xt__json_cstr(b, m->process_name);
  json_key(b, "ThreadID");
  xt__json_i64(b, m->thread_id);
  json_key(b, "ThreadName");
  xt__json_cstr(b, m->threadname);
  json_key(b, "Agent");
  xt__json_cstr(b, m->agent);
  json_key(b, "Source");
  xt__json_cstr(b, m->source);
  json_key(b, "Label");
  xt__json_cstr(b, m->label);
  json_key(b, "Tag");
  xt__buf_putc(b, '[');
  for (size_t i = 0; i < m->n_tags; i++) {
    if (i) xt__buf_putc(b, ',');
    xt__json_cstr(b, m->tags[i]);
  }
  xt__buf_putc(b, ']');
  xt__report_custom(m, json_custom, b);
  xt__buf_putc(b, '}');
}

/* Writes a value on one line: the plain-text form is line-oriented. */
static void text_value(xt__buf *b, const char *s) {
  xt__buf b2;
  xt__buf_init(&b2);
  xt__utf8_clean(&b2, s ? s : "", s ? strlen(s) : 0);
  for (size_t i = 0; i < b2.len; i++) {
    char c = b2.data[i];
    if (c == '\n')
      xt__buf_puts(b, "\\n");
    else if (c == '\r')
      xt__buf_puts(b, "\\r");
    else if (c == '\\')
      xt__buf_puts(b, "\\\\");
    else if ((unsigned char)c < 0x20 || c == 0x7f)
      xt__buf_printf(b, "\\x%02x", (unsigned)(unsigned char)c);
    else
      xt__buf_putc(b, c);
  }
  xt__buf_free(&b2);
}

static void text_field(xt__buf *b, const char *key, const char *value) {
  text_value(b, key);
  xt__buf_puts(b, ": ");
  text_value(b, value);
  xt__buf_putc(b, '\n');
}

static void text_custom(void *arg, const char *key, const char *value) { text_field(arg, key, value); }

void xt__report_text(xt__buf *b, const Pubsub__XTraceReportv4 *m, int64_t ts_us) {
  xt__buf_printf(b, "X-Trace Report ver 1.0\nTaskID: %016" PRIx64 "\nEventID: %" PRId64 "\n",
                 (uint64_t)m->task_id, m->event_id);
  for (size_t i = 0; i < m->n_parent_event_id; i++)
    xt__buf_printf(b, "ParentEventID: %" PRId64 "\n", m->parent_event_id[i]);
  xt__buf_printf(b, "Timestamp: %" PRId64 "\nHRT: %" PRId64 "\n", ts_us, m->hrt);
  text_field(b, "Host", m->host);
  xt__buf_printf(b, "ProcessID: %d\n", (int)m->process_id);
  text_field(b, "ProcessName", m->process_name);
  xt__buf_printf(b, "ThreadID: %d\n", (int)m->thread_id);
  text_field(b, "ThreadName", m->threadname);
  text_field(b, "Agent", m->agent);
  text_field(b, "Source", m->source);
  text_field(b, "Label", m->label);
  for (size_t i = 0; i < m->n_tags; i++) text_field(b, "Tag", m->tags[i]);
  xt__report_custom(m, text_custom, b);
  xt__buf_putc(b, '\n');
}
