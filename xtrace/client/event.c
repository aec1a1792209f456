/* The calling thread's side: turning an event into a ring record (the
 * thread's context is thread.c's). Nothing here locks, allocates or makes a
 * syscall other than reading the clock (and fetching the TID once per
 * thread). */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

int64_t xt__now_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int32_t xt_thread_id(void) {
  if (xt__self.tid == 0) xt__self.tid = (int32_t)syscall(SYS_gettid);
  return xt__self.tid;
}

void xt_thread_set_name(const char *name) {
  size_t n = name ? strnlen(name, sizeof xt__self.name - 1) : 0;
  if (n) memcpy(xt__self.name, name, n);
  xt__self.name[n] = '\0';
}

bool xt_thread_is_internal(void) { return xt__self.internal; }

static size_t str_len(const char *s, size_t max) { return s ? strnlen(s, max) : 0; }

/* Bound on agent, source, each key, value and tag. With at most 64 of each,
 * a report always fits the reporter's scratch space (XT__SCRATCH_BYTES). */
#define FIELD_MAX 512u

/* memcpy that allows (NULL, 0): absent strings are common here. Most
 * pieces of a record are a few bytes (one parent, the agent, keys, short
 * values), and a call into libc's memcpy for each cost more than the copy:
 * up to 16 bytes are moved inline, as two overlapping words or less. */
static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n) {
  const uint8_t *s = src;
  if (n > 16) {
    memcpy(p, s, n);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
    memcpy(p, &a, 8);
    memcpy(p + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    memcpy(p, &a, 4);
    memcpy(p + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; i++) p[i] = s[i];
  }
  return p + n;
}

/* Every string in a record is followed by a NUL, so that the reporter can
 * hand it to protobuf-c where it lies instead of copying it out: one byte
 * here saves a copy of the whole string there. */
static uint8_t *put_text(uint8_t *p, const char *s, size_t n) {
  p = put_bytes(p, s, n);
  *p = '\0';
  return p + 1;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n) {
  uint16_t n16 = (uint16_t)n;
  memcpy(p, &n16, sizeof n16);
  return put_text(p + sizeof n16, s, n);
}

/* String lengths of an event's kv pairs and tags, measured once: the record
 * size needs them before the ring space is reserved, the copy after. */
typedef struct field_lens {
  uint16_t kv[2 * 64];
  uint16_t tag[64];
} field_lens;

static size_t measure(const xt_event_info *ev, size_t nkv, size_t ntags, field_lens *fl) {
  size_t bytes = 0;
  for (size_t i = 0; i < nkv; i++) {
    fl->kv[2 * i] = (uint16_t)str_len(ev->kv[i].key, FIELD_MAX);
    fl->kv[2 * i + 1] = (uint16_t)str_len(ev->kv[i].value, FIELD_MAX);
    bytes += 6u + fl->kv[2 * i] + fl->kv[2 * i + 1];
  }
  for (size_t i = 0; i < ntags; i++) {
    fl->tag[i] = (uint16_t)str_len(ev->tags[i], FIELD_MAX);
    bytes += 3u + fl->tag[i];
  }
  return bytes;
}

/* A dropped event does not advance the thread's parents, so they name the
 * thread's last recorded event: the drop marker hangs off it. */
static void count_drop(const bg_context *ctx) {
  atomic_fetch_add_explicit(&xt__g.dropped, 1, memory_order_relaxed);
  uint32_t seq = atomic_load_explicit(&xt__g.drop_seq, memory_order_relaxed);
  /* Another thread writing its drop at the same time is as good a witness. */
  if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&xt__g.drop_seq, &seq, seq + 1,
                                                            memory_order_acquire, memory_order_relaxed))
    return;
  atomic_store_explicit(&xt__g.drop_task, ctx->task_id, memory_order_relaxed);
  atomic_store_explicit(&xt__g.drop_parent, ctx->nparents ? ctx->parents[ctx->nparents - 1] : 0,
                        memory_order_relaxed);
  atomic_store_explicit(&xt__g.drop_tid, xt_thread_id(), memory_order_relaxed);
  atomic_store_explicit(&xt__g.drop_seq, seq + 2, memory_order_release);
}

uint64_t xt_event(const xt_event_info *ev) { return xt__event(ev, true); }

uint64_t xt__event(const xt_event_info *ev, bool start_reporter) {
  /* A thread without a context block has no task either. */
  bg_context *ctx = xt__self.ctx;
  if (!ctx || !ctx->task_id) return 0;
  if (atomic_load_explicit(&xt__g.state, memory_order_acquire) != XT__ON) {
    if (atomic_load_explicit(&xt__g.state, memory_order_relaxed) == XT__SHUT) count_drop(ctx);
    return 0;
  }
  if (start_reporter && atomic_load_explicit(&xt__g.reporter, memory_order_relaxed) == XT__REPORTER_NONE &&
      !xt__link_known_down(xt__now_mono_ns()))
    xt__reporter_start();
  if (atomic_load_explicit(&xt__g.sock_req, memory_order_relaxed) == XT__SOCK_WANTED)
    xt__reporter_open_wanted();

  size_t label_len = ev->label ? ev->label_len : 0;
  size_t label_kept = label_len;
  if (label_len > XT_LABEL_MAX) {
    label_kept = XT_LABEL_MAX - (sizeof XT_CUT_MARKER - 1);
    label_len = XT_LABEL_MAX;
  }
  size_t agent_len = str_len(ev->agent, FIELD_MAX);
  size_t source_len = ev->caller ? 0 : str_len(ev->source, FIELD_MAX);
  size_t nkv = ev->nkv > 64 ? 64 : ev->nkv, ntags = ev->ntags > 64 ? 64 : ev->ntags;
  field_lens fl;
  size_t size = sizeof(xt__rec) + ctx->nparents * sizeof(uint64_t) + agent_len + source_len +
                label_len + 3 + measure(ev, nkv, ntags, &fl);

  xt__rec *rec = xt__ring_reserve(&xt__g.ring, size);
  if (!rec) {
    count_drop(ctx);
    return 0;
  }
  uint64_t id = ev->event_id ? ev->event_id : bg_id_fresh();
  rec->task_id = ctx->task_id;
  rec->event_id = id;
  rec->mono_ns = ev->mono_ns ? ev->mono_ns : xt__now_mono_ns();
  rec->caller = ev->caller;
  rec->tid = xt_thread_id();
  rec->nparents = (uint16_t)ctx->nparents;
  rec->agent_len = (uint16_t)agent_len;
  rec->source_len = (uint16_t)source_len;
  rec->label_len = (uint16_t)label_len;
  rec->nkv = (uint16_t)nkv;
  rec->ntags = (uint16_t)ntags;
  memcpy(rec->thread_name, xt__self.name, sizeof rec->thread_name);

  uint8_t *p = (uint8_t *)(rec + 1);
  p = put_bytes(p, ctx->parents, ctx->nparents * sizeof(uint64_t));
  p = put_text(p, ev->agent, agent_len);
  p = put_text(p, ev->source, source_len);
  p = put_bytes(p, ev->label, label_kept);
  /* The marker (rare) by plain memcpy: put_bytes's inline cases would
   * read past the literal, as far as the compiler can tell. */
  if (label_len > label_kept) memcpy(p, XT_CUT_MARKER, label_len - label_kept);
  p += label_len - label_kept;
  *p++ = '\0';
  for (size_t i = 0; i < nkv; i++) {
    p = put_str(p, ev->kv[i].key, fl.kv[2 * i]);
    p = put_str(p, ev->kv[i].value, fl.kv[2 * i + 1]);
  }
  for (size_t i = 0; i < ntags; i++) p = put_str(p, ev->tags[i], fl.tag[i]);
  xt__ring_commit(rec, size);

  bg_parents_set_one(ctx, id);
  return id;
}

uint64_t xt_log(const char *agent, const char *label, size_t label_len, const void *caller) {
  xt_event_info ev = {.agent = agent, .label = label, .label_len = label_len, .caller = caller};
  return xt_event(&ev);
}

/* Emits a join event whose parents are the thread's whole current set, so the
 * set collapses to that one event. If the event cannot be recorded the set
 * stays as it is: correct, only larger. */
static void collapse(void) {
  static const char label[] = "join";
  xt_event_info ev = {.agent = "xtrace", .label = label, .label_len = sizeof label - 1};
  xt_event(&ev);
}

int xt_join(uint64_t task_id, const uint64_t *parents, size_t n) {
  if (task_id == 0 || n == 0) return (int)xt__ctx_peek()->nparents;
  bg_context *ctx = xt__ctx();
  if (ctx->task_id == 0) {
    ctx->task_id = task_id;
    ctx->nparents = 0;
  } else if (ctx->task_id != task_id) {
    /* Events of another task cannot be parents here: a task is one graph. */
    return (int)ctx->nparents;
  }
  unsigned threshold = xt__g.cfg.join_threshold ? xt__g.cfg.join_threshold : BG_JOIN_THRESHOLD;
  if (bg_parents_union(ctx, parents, n) < 0) {
    /* Too many even for the set's capacity: collapse what we have first. */
    collapse();
    if (bg_parents_union(ctx, parents, n) < 0) return -ENOSPC;
  }
  if (ctx->nparents > threshold) collapse();
  return (int)ctx->nparents;
}

void xt_count_parse_failure(void) {
  atomic_fetch_add_explicit(&xt__g.parse_failures, 1, memory_order_relaxed);
}

void xt_get_stats(xt_stats *out) {
  out->drained = atomic_load(&xt__g.drained);
  out->dropped = atomic_load(&xt__g.dropped);
  out->sent = atomic_load(&xt__g.sent);
  out->connects = atomic_load(&xt__g.connects);
  out->parse_failures = atomic_load(&xt__g.parse_failures);
}
