/*
 * The budget of log-line events: per process and per stream (stdout, stderr,
 * syslog), XTRACE_LOG_RATE lines a second with bursts of XTRACE_LOG_BURST.
 * A program whose output is data (a filter writing millions of lines) would
 * otherwise fill the event buffer, the collector and one unusable task; above
 * the budget its lines are counted, and the first line recorded after an
 * episode of refusals is preceded by one event that says how many were not.
 *
 * The bucket is kept in GCRA form: one word per stream, the time at which it
 * would be empty again at the steady rate (the "theoretical arrival time").
 * A token is a CAS that moves it one interval on; checking for one is a load
 * and a compare, with no write, so an over-budget stream's cache line stays
 * shared between threads. Time is CLOCK_MONOTONIC_COARSE: read from the vDSO
 * without touching the clock hardware, a few ns; its jiffy resolution only
 * makes tokens come back a few at a time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"
#include "label.h"
#include "logging/logging.h"

typedef struct bucket {
  int64_t tat; /* ns: when the bucket would be full again */
  /* Dropped in the current episode: written by every refused call, so kept
   * off the line that every accepted line reads. */
  __attribute__((aligned(64))) uint64_t lines;
  uint64_t bytes;
} __attribute__((aligned(64))) bucket;

static bucket buckets[XTP_BUDGET_N];
static int64_t interval_ns = 10000000; /* 100 lines a second */
static int64_t limit_ns = 10000000000; /* burst of 1000 */
static const char *const names[XTP_BUDGET_N] = {"stdout", "stderr", "syslog"};

/* rate 0: no refill, the burst is all a process records on a stream (its
 * tokens come back one every 10^18/burst ns: never, in practice). */
void xtp_budget_setup(unsigned rate, unsigned burst) {
  if (burst == 0)
    burst = 1;
  interval_ns = rate ? 1000000000 / rate : 1000000000000000000 / burst;
  if (interval_ns == 0)
    interval_ns = 1;
  limit_ns = (int64_t)burst * interval_ns;
}

int64_t xtp_budget_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool xtp_budget_open(int b, int64_t now) {
  int64_t tat = __atomic_load_n(&buckets[b].tat, __ATOMIC_RELAXED);
  return (tat > now ? tat : now) + interval_ns - now <= limit_ns;
}

/* The overflow marker: one event per episode, in the task of whichever
 * thread ends the episode. */
static void report(int b) {
  bucket *k = &buckets[b];
  if (!__atomic_load_n(&k->lines, __ATOMIC_RELAXED) &&
      !__atomic_load_n(&k->bytes, __ATOMIC_RELAXED))
    return;
  uint64_t lines = __atomic_exchange_n(&k->lines, 0, __ATOMIC_RELAXED);
  uint64_t bytes = __atomic_exchange_n(&k->bytes, 0, __ATOMIC_RELAXED);
  if (!lines && !bytes)
    return;
  char label[96], vl[24], vb[24];
  xtp_label l;
  xtp_label_init(&l, label, sizeof label);
  xtp_label_u64(&l, lines);
  xtp_label_str(&l,
                lines == 1 ? " line over budget not recorded" : " lines over budget not recorded");
  snprintf(vl, sizeof vl, "%" PRIu64, lines);
  snprintf(vb, sizeof vb, "%" PRIu64, bytes);
  xt_kv kv[] = {{"lines_dropped", vl}, {"bytes_dropped", vb}};
  const char *tags[] = {"budget"};
  xt_event_info ev = {.agent = names[b],
                      .label = label,
                      .label_len = l.len,
                      .source = "log budget",
                      .kv = kv,
                      .nkv = 2,
                      .tags = tags,
                      .ntags = 1};
  xtp_emit(&ev);
}

bool xtp_budget_take(int b, int64_t now) {
  bucket *k = &buckets[b];
  int64_t tat = __atomic_load_n(&k->tat, __ATOMIC_RELAXED);
  for (;;) {
    int64_t next = (tat > now ? tat : now) + interval_ns;
    if (next - now > limit_ns)
      return false;
    if (__atomic_compare_exchange_n(&k->tat, &tat, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      break;
  }
  report(b);
  return true;
}

void xtp_budget_drop(int b, uint64_t lines, uint64_t bytes) {
  if (lines)
    __atomic_fetch_add(&buckets[b].lines, lines, __ATOMIC_RELAXED);
  if (bytes)
    __atomic_fetch_add(&buckets[b].bytes, bytes, __ATOMIC_RELAXED);
}

void xtp_budget_report_all(void) {
  for (int b = 0; b < XTP_BUDGET_N; b++)
    report(b);
}

/* A forked child is a process of its own: a full budget, and only its own
 * drops to report. */
void xtp_budget_after_fork_child(void) {
  for (int b = 0; b < XTP_BUDGET_N; b++) {
    __atomic_store_n(&buckets[b].tat, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&buckets[b].lines, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&buckets[b].bytes, 0, __ATOMIC_RELAXED);
  }
}
