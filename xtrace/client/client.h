/* Internals shared by the client's files. */
#ifndef XTRACE_CLIENT_CLIENT_H
#define XTRACE_CLIENT_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "xtrace/xtrace.h"

#define XT_TLS __attribute__((tls_model("initial-exec"))) __thread

/* The reporter's own memory, counted in the configured budget: frames waiting
 * for the socket, and the scratch space one report is encoded from. */
#define XT__SENDBUF_BYTES (256u << 10)
#define XT__SCRATCH_BYTES (448u << 10)

/* The ring gets what the budget leaves after them, rounded down to a power
 * of two (at least 64 KiB). */
size_t xt__ring_budget(size_t buffer_bytes);

typedef struct xt__config {
  char server[256];
  size_t buffer_bytes;
  unsigned flush_ms;
  unsigned join_threshold;
  bool debug;
} xt__config;

/* Per-thread state, in static TLS: what an event needs without a syscall
 * (the TID is fetched once per thread) and a pointer to the context, which
 * is large (items) and mapped on first need (thread.c). */
typedef struct xt__thread {
  bg_context *ctx; /* NULL until the thread writes a context */
  int32_t tid;
  bool internal;
  char name[16];
} xt__thread;

extern XT_TLS xt__thread xt__self;

/* The calling thread's context for writing, mapped if it has none; for
 * reading, without mapping (an empty context if there is none). */
bg_context *xt__ctx(void);
const bg_context *xt__ctx_peek(void);
/* Creates the key whose destructor unmaps a thread's context at its exit. */
void xt__thread_key_init(void);

typedef struct xt__client {
  xt__config cfg;
  xt__ring ring;
  _Atomic int state;          /* XT__OFF, XT__ON, XT__SHUT */
  _Atomic int reporter;       /* XT__REPORTER_* */
  _Atomic uint64_t dropped;
  /* Where the last drop happened, for the marker that reports drops: a
   * writer claims seq (odd) before writing and releases it (even) after, so
   * the reporter reads the three from one drop, never torn between two. */
  _Atomic uint32_t drop_seq;
  _Atomic uint64_t drop_task;
  _Atomic uint64_t drop_parent;
  _Atomic int32_t drop_tid;
  _Atomic uint64_t drained;   /* records taken from the ring */
  _Atomic uint64_t sent;      /* reports written to the socket */
  _Atomic uint64_t connects;
  _Atomic uint64_t parse_failures;
  _Atomic uint64_t sent_pos;  /* ring position whose records are all sent */
  _Atomic int link;           /* XT__LINK_* */
  _Atomic int64_t down_since_ms; /* CLOCK_MONOTONIC ms of the last failed connect */
  _Atomic int sock_req;       /* XT__SOCK_*: the reporter's socket, opened by an application thread */
} xt__client;

/* A socket the reporter thread created could land, for a moment, on a
 * number the application has just closed to put something else there (a
 * shell's `>&2` closes 1 and then dups 2 onto it), and the application's
 * dup2 would fail or its output would go to the collector. So the
 * application's own threads open the reporter's sockets to a numeric
 * address, inside an event or an exit, where they are not between such a
 * close and dup: the reporter asks (WANTED), one thread opens (OPENING) and
 * hands the socket over (READY). */
enum { XT__SOCK_NONE, XT__SOCK_WANTED, XT__SOCK_OPENING, XT__SOCK_READY };
/* Opens the socket the reporter asked for, if it asked; from application
 * threads only. Async-signal-safe. */
void xt__reporter_open_wanted(void);

enum { XT__OFF = 0, XT__ON = 1, XT__SHUT = 2 };
enum { XT__REPORTER_NONE = 0, XT__REPORTER_STARTING = 1, XT__REPORTER_RUNNING = 2 };

/* What this process knows of the collector. UNKNOWN: no connection made yet
 * (or the last one was lost) and no attempt has failed since. UP: connected.
 * DOWN: the last attempt failed (refused or timed out), here or, passed on
 * through XTRACE_COLLECTOR_DOWN, in an ancestor. Nothing ever waits for the
 * collector unless it is UP or a connection has just been made (see
 * xt__reporter_wait_sent). */
enum { XT__LINK_UNKNOWN = 0, XT__LINK_UP = 1, XT__LINK_DOWN = 2 };

/* How long a failed connect is believed, in this process and in children
 * that inherit it: within it a process does not start its reporter (so it
 * opens no connection of its own); after it, the next event probes again
 * in the background. The process that learned it keeps probing with its
 * back-off and refreshes the time on each failure. */
#define XT__DOWN_TRUST_MS 3000

bool xt__link_known_down(int64_t now_ns);

extern xt__client xt__g;

/* An event as it sits in the ring, followed by its variable parts:
 * parents[nparents], then agent, source, label (its cut marker included),
 * and for each kv and tag a uint16 length and the bytes; every string is
 * followed by a NUL its length does not count. Encoding into protobuf happens
 * on the reporter thread, so the application thread only copies bytes. */
typedef struct xt__rec {
  uint64_t task_id;
  uint64_t event_id;
  int64_t mono_ns;
  const void *caller;
  int32_t tid;
  uint16_t nparents;
  uint16_t agent_len;
  uint16_t source_len;
  uint16_t label_len;
  uint16_t nkv;
  uint16_t ntags;
  char thread_name[16];
} xt__rec;

/* xt_event; start_reporter false leaves the reporter as it is (for _exit
 * and signal handlers, where starting a thread is not allowed). */
uint64_t xt__event(const xt_event_info *ev, bool start_reporter);

void xt__reporter_start(void);
void xt__reporter_wake(void);
/* Before fork: lets a reporter thread that is still starting finish. */
void xt__reporter_fork_prepare(void);
void xt__reporter_fork_child(void);
/* Waits at most timeout_ms for records up to ring position pos to be sent,
 * and only while the collector is reached. Async-signal-safe. */
int xt__reporter_wait_sent(uint64_t pos, unsigned timeout_ms);
/* Waits for everything emitted so far as above, saying in the debug output
 * (why: "exit", "flush") whether it waited. Not for signal handlers. */
int xt__reporter_flush(const char *why, unsigned timeout_ms);
void xt__reporter_stop(unsigned timeout_ms);

/* Turns one ring record into a framed report appended to out; returns the
 * bytes written or 0 if cap is too small. */
struct xt__proc;
size_t xt__report_encode(const xt__rec *rec, uint32_t len, int64_t wall_offset_ns,
                         uint8_t *out, size_t cap);
void xt__report_proc_init(void);
/* Writes r as protobuf-c's pack would, byte for byte; SIZE_MAX when it does
 * not fit in cap. */
struct Pubsub__XTraceReportv4;
size_t xt__report_pack(const struct Pubsub__XTraceReportv4 *r, uint8_t *out, size_t cap);
size_t xt__report_encode_dropped(uint64_t task_id, uint64_t parent_id, int32_t tid, uint64_t count,
                                 uint8_t *out, size_t cap);

void xt__config_load(xt__config *cfg, const xt_config *over);
void xt__debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t xt__now_mono_ns(void);

#endif
