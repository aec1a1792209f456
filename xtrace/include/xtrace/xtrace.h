/*
 * libxtrace: the X-Trace client. Each thread has a context (libbaggage's
 * bg_context); emitting an event writes a compact record into a bounded,
 * lock-free buffer and advances the thread's parents. A reporter thread turns
 * records into X-Trace v4 reports and sends them, framed for pubsub, to the
 * collector. The calling thread never locks, allocates or makes a syscall
 * beyond reading the clock, and never waits for the collector; the one
 * exception is a thread's first write to its context, which maps the
 * context's memory (mmap, safe in a signal handler).
 */
#ifndef XTRACE_XTRACE_H
#define XTRACE_XTRACE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baggage/baggage.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_DEFAULT_SERVER "127.0.0.1:5563"
#define XT_DEFAULT_BUFFER_BYTES (4u << 20)
#define XT_DEFAULT_FLUSH_MS 500u
#define XT_LABEL_MAX 4096 /* longer labels are cut and end with XT_CUT_MARKER */
#define XT_CUT_MARKER "...[cut]"

/* Zero fields take their value from the environment (XTRACE_SERVER,
 * XTRACE_BUFFER_BYTES, XTRACE_FLUSH_MS, XTRACE_JOIN_THRESHOLD) or the default. */
typedef struct xt_config {
  const char *server;      /* "host:port" */
  size_t buffer_bytes;     /* bound on the client's memory, per process: the
                              event ring plus the reporter's buffers */
  unsigned flush_ms;       /* how long exit waits for buffered events */
  unsigned join_threshold; /* parent-set size that triggers a join event */
} xt_config;

/* Idempotent; the first call wins. Registers the fork handlers. The reporter
 * thread starts with the first event, so a process that only execs never
 * starts one. Returns 0 or a negative errno. */
int xt_init(const xt_config *cfg);

/* Waits up to timeout_ms for everything emitted so far to be sent. Returns 0,
 * -ETIMEDOUT if events remain, or -ENOTCONN at once if the collector is not
 * reached: one that refuses, or drops the connection attempt, or is known
 * unreachable, is never waited for. */
int xt_flush(unsigned timeout_ms);

/* Flushes with the configured deadline and stops the reporter. Safe to call
 * more than once; events emitted afterwards are dropped and counted. */
void xt_shutdown(void);

/* A collector this process failed to reach is passed on to its children in
 * the environment, so that they do not each try it again (and wait for the
 * connect timeout) before its time; xt_init reads it. The value is the
 * CLOCK_MONOTONIC millisecond of the failure. */
#define XT_LINK_ENV "XTRACE_COLLECTOR_DOWN"
/* Writes "XTRACE_COLLECTOR_DOWN=<ms>" and a NUL into buf when this process
 * knows the collector unreachable; returns its length, or 0 if there is
 * nothing to pass on or cap is too small. Uses no stdio and no allocation:
 * safe in a vfork child. */
size_t xt_link_env(char *buf, size_t cap);

/* The calling thread's context. Never NULL; valid for the thread's lifetime.
 * It is allocated on the thread's first call (a thread's static TLS stays
 * small); xt_context_peek() reads it without allocating, and gives an empty
 * context to a thread that has none. */
bg_context *xt_context(void);
const bg_context *xt_context_peek(void);
bool xt_in_task(void);
void xt_context_set(const bg_context *ctx);
void xt_context_clear(void);

/* Starts a new task on the calling thread (fresh task ID, no parents; items
 * are kept) and returns its ID. Emits nothing: the first event is the root. */
uint64_t xt_task_start(void);

typedef struct xt_kv {
  const char *key;
  const char *value;
} xt_kv;

typedef struct xt_event_info {
  const char *agent;      /* hook family: "stderr", "syslog", "thread", ... */
  const char *label;      /* the log line; label_len bytes, need not end in NUL */
  size_t label_len;
  const void *caller;     /* code address the event came from; resolved to
                             "object+0xoff (function)" on the reporter thread */
  const char *source;     /* explicit source, used when caller is NULL */
  const xt_kv *kv;        /* custom key/value fields */
  size_t nkv;
  const char *const *tags;
  size_t ntags;
  uint64_t event_id;      /* 0: a fresh one. Otherwise an ID chosen ahead
                             (bg_id_fresh), when it must be named before the
                             event exists: by another process (a fork child's
                             parent, a waiter's join of a child's exit) or in
                             the program's own output (a log prefix). */
  int64_t mono_ns;        /* 0: now. Otherwise the event's time on
                             CLOCK_MONOTONIC, read by a caller that needs it
                             too (a probe's call duration): a clock read is
                             a large part of an event's cost. */
} xt_event_info;

/* Emits one event in the calling thread's task: its parents are the current
 * parents, which then become {the new event}. Returns the event ID, or 0 if
 * the thread has no task, the client is shut down, or the buffer is full (the
 * drop is counted and the parents stay as they were, so the next event links
 * to the last one that was recorded and the graph has no dangling edge). */
uint64_t xt_event(const xt_event_info *ev);

/* The common case: one labelled event. */
uint64_t xt_log(const char *agent, const char *label, size_t label_len, const void *caller);

/* For _exit, and so for signal handlers: records ev (if not NULL) without
 * starting the reporter, then, if the reporter runs and has reached the
 * collector, waits at most timeout_ms (0: the configured flush deadline)
 * for it to send what is buffered. Takes no lock, allocates nothing, starts
 * no thread: what cannot be sent so is dropped and counted. Later events
 * are dropped, as after xt_shutdown. */
void xt_exit_flush(const xt_event_info *ev, unsigned timeout_ms);

/* Merges events into the calling thread's parents (a join). If the set would
 * pass the join threshold, a join event with the whole union as parents is
 * emitted first and the set collapses to it. A thread with no task adopts
 * task_id with the given parents. Returns the new parent count. */
int xt_join(uint64_t task_id, const uint64_t *parents, size_t n);

/* The calling thread's kernel TID and name (cached; the name can be updated
 * by a pthread_setname_np hook). */
int32_t xt_thread_id(void);
void xt_thread_set_name(const char *name);

/* Threads the library runs itself (the reporter) are "internal": hooks must
 * pass their calls through untraced. */
bool xt_thread_is_internal(void);

/* Counters, for tests, stats and debug output. */
typedef struct xt_stats {
  uint64_t drained;     /* events the reporter has taken from the buffer */
  uint64_t dropped;     /* events lost: buffer full or after shutdown */
  uint64_t sent;        /* reports written to the collector socket */
  uint64_t connects;    /* successful connections */
  uint64_t parse_failures; /* malformed inbound context, counted by callers */
} xt_stats;
void xt_get_stats(xt_stats *out);
void xt_count_parse_failure(void);

/* Writes "<component>[pid]: <message>\n" to stderr with the write system
 * call from a stack buffer: never traced by the preload's hooks, never
 * allocates. Callers decide whether diagnostics are on (XTRACE_DEBUG). */
void xt_debugv(const char *component, const char *fmt, va_list ap);

/* Process facts the reporter puts in every report. */
const char *xt_hostname(void);

#ifdef __cplusplus
}
#endif
#endif
