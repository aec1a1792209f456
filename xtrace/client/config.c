/* Start-up and shutdown of the client, and its configuration from the
 * environment. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bsd/string.h>

#include "client.h"

xt__client xt__g;

static unsigned long env_ulong(const char *name, unsigned long dflt, unsigned long max) {
  const char *s = getenv(name);
  if (!s || !*s) return dflt;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v == 0 || v > max) {
    xt__debugf("ignoring %s=%s: not a number in 1..%lu", name, s, max);
    return dflt;
  }
  return v;
}

void xt__config_load(xt__config *cfg, const xt_config *over) {
  const char *debug = getenv("XTRACE_DEBUG");
  cfg->debug = debug && *debug && strcmp(debug, "0") != 0;
  const char *server = over && over->server ? over->server : getenv("XTRACE_SERVER");
  strlcpy(cfg->server, server && *server ? server : XT_DEFAULT_SERVER, sizeof cfg->server);
  cfg->buffer_bytes = over && over->buffer_bytes
                          ? over->buffer_bytes
                          : env_ulong("XTRACE_BUFFER_BYTES", XT_DEFAULT_BUFFER_BYTES, 1ul << 30);
  cfg->flush_ms = over && over->flush_ms ? over->flush_ms
                                         : (unsigned)env_ulong("XTRACE_FLUSH_MS", XT_DEFAULT_FLUSH_MS, 60000);
  cfg->join_threshold = over && over->join_threshold
                            ? over->join_threshold
                            : (unsigned)env_ulong("XTRACE_JOIN_THRESHOLD", BG_JOIN_THRESHOLD, BG_MAX_PARENTS / 2);
  if (cfg->join_threshold > BG_MAX_PARENTS / 2) cfg->join_threshold = BG_MAX_PARENTS / 2;
}

size_t xt__ring_budget(size_t buffer_bytes) {
  size_t fixed = XT__SENDBUF_BYTES + XT__SCRATCH_BYTES;
  return buffer_bytes > fixed ? buffer_bytes - fixed : 0;
}

void xt_debugv(const char *component, const char *fmt, va_list ap) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s[%d]: ", component, (int)getpid());
  if (n < 0 || (size_t)n >= sizeof buf - 1) return;
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  syscall(SYS_write, 2, buf, len);
}

void xt__debugf(const char *fmt, ...) {
  if (!xt__g.cfg.debug) return;
  va_list ap;
  va_start(ap, fmt);
  xt_debugv("xtrace", fmt, ap);
  va_end(ap);
}

/* The child of a fork keeps none of the parent's reporter: the parent sends
 * what it had buffered, the child starts an empty buffer and its own reporter
 * on its first event. Only the forking thread exists here, so its TLS is the
 * only per-thread state to refresh. */
static void fork_prepare(void) {
  if (atomic_load(&xt__g.state) == XT__ON) xt__reporter_fork_prepare();
}

static void fork_child(void) {
  if (atomic_load(&xt__g.state) != XT__ON) return;
  xt__reporter_fork_child();
  xt__ring_destroy(&xt__g.ring);
  if (xt__ring_init(&xt__g.ring, xt__ring_budget(xt__g.cfg.buffer_bytes)) != 0) atomic_store(&xt__g.state, XT__OFF);
  atomic_store(&xt__g.dropped, 0);
  atomic_store(&xt__g.drained, 0);
  atomic_store(&xt__g.sent, 0);
  atomic_store(&xt__g.connects, 0);
  atomic_store(&xt__g.parse_failures, 0);
  atomic_store(&xt__g.sent_pos, 0);
  atomic_store(&xt__g.drop_seq, 0); /* a parent's thread may have been writing it */
  xt__self.tid = 0;
  bg_id_reseed_all();
}

/* An ancestor's failed connect (see xt_link_env): believed for
 * XT__DOWN_TRUST_MS from when it happened. A value from the future is
 * nonsense, not a reason to stay silent. */
static void inherit_link_state(void) {
  const char *v = getenv(XT_LINK_ENV);
  if (!v || !*v) return;
  char *end;
  errno = 0;
  long long since = strtoll(v, &end, 10);
  int64_t now_ms = xt__now_mono_ns() / 1000000;
  if (errno || *end || since <= 0 || since > now_ms) return;
  atomic_store(&xt__g.down_since_ms, (int64_t)since);
  atomic_store(&xt__g.link, XT__LINK_DOWN);
  if (xt__link_known_down(now_ms * 1000000))
    xt__debugf("collector %s known unreachable since %lld ms, not trying it for %lld ms", xt__g.cfg.server,
               (long long)(now_ms - since), (long long)(since + XT__DOWN_TRUST_MS - now_ms));
}

/* Decimal digits of v into buf, without stdio: a vfork child and a signal
 * handler may call this. Returns the length, or 0 if cap is too small. */
static size_t put_decimal(char *buf, size_t cap, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (n > cap) return 0;
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

size_t xt_link_env(char *buf, size_t cap) {
  if (atomic_load(&xt__g.state) != XT__ON || atomic_load(&xt__g.link) != XT__LINK_DOWN) return 0;
  static const char name[] = XT_LINK_ENV "=";
  if (cap < sizeof name) return 0;
  memcpy(buf, name, sizeof name - 1);
  size_t n = put_decimal(buf + sizeof name - 1, cap - sizeof name, (uint64_t)atomic_load(&xt__g.down_since_ms));
  if (n == 0) return 0;
  buf[sizeof name - 1 + n] = '\0';
  return sizeof name - 1 + n;
}

int xt_init(const xt_config *cfg) {
  static _Atomic int once;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&once, &expected, 1)) return 0;
  xt__config_load(&xt__g.cfg, cfg);
  int err = xt__ring_init(&xt__g.ring, xt__ring_budget(xt__g.cfg.buffer_bytes));
  if (err) {
    xt__debugf("cannot map the event buffer: %s", strerror(-err));
    return err;
  }
  err = pthread_atfork(fork_prepare, NULL, fork_child);
  if (err) return -err;
  xt__thread_key_init();
  inherit_link_state();
  atomic_store_explicit(&xt__g.state, XT__ON, memory_order_release);
  return 0;
}

int xt_flush(unsigned timeout_ms) {
  if (atomic_load(&xt__g.state) != XT__ON) return 0;
  return xt__reporter_flush("flush", timeout_ms);
}

/* Records still in the ring of a process whose reporter never started. */
static uint64_t count_unsent(void) {
  uint64_t n = 0, pos = xt__ring_tail(&xt__g.ring), next;
  uint32_t len;
  while (xt__ring_peek(&xt__g.ring, pos, &len, &next)) {
    n++;
    pos = next;
  }
  return n;
}

void xt_exit_flush(const xt_event_info *ev, unsigned timeout_ms) {
  if (atomic_load(&xt__g.state) != XT__ON) return;
  if (ev) xt__event(ev, false);
  int expected = XT__ON;
  if (!atomic_compare_exchange_strong(&xt__g.state, &expected, XT__SHUT)) return;
  if (atomic_load(&xt__g.reporter) == XT__REPORTER_NONE) {
    atomic_fetch_add(&xt__g.dropped, count_unsent());
    return;
  }
  xt__reporter_wait_sent(xt__ring_head(&xt__g.ring), timeout_ms ? timeout_ms : xt__g.cfg.flush_ms);
}

void xt_shutdown(void) {
  int expected = XT__ON;
  if (!atomic_compare_exchange_strong(&xt__g.state, &expected, XT__SHUT)) return;
  xt__reporter_stop(xt__g.cfg.flush_ms);
  uint64_t dropped = atomic_load(&xt__g.dropped);
  if (dropped) xt__debugf("%llu events dropped", (unsigned long long)dropped);
}
