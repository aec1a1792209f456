/*
 * What every hook family shares: the table of real libc symbols, the
 * reentrancy guard, the configuration read from the environment and the
 * process-level start and exit events. Private to preload/.
 */
#ifndef XT_PRELOAD_COMMON_H
#define XT_PRELOAD_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xtrace/xtrace.h>

#include "symbols.h"

#define XT_HOOK __attribute__((visibility("default")))
#define XT_TLS __thread __attribute__((tls_model("initial-exec")))

/* Real symbols ------------------------------------------------------------- */

#define XT_SYM_ENUM(ret, name, params) XT_SYM_##name,
enum { XT_REAL_SYMBOLS(XT_SYM_ENUM) XT_SYM_COUNT };
#undef XT_SYM_ENUM

#define XT_SYM_TYPEDEF(ret, name, params) typedef ret(*name##_fn) params;
XT_REAL_SYMBOLS(XT_SYM_TYPEDEF)
#undef XT_SYM_TYPEDEF

/* The next definition of symbol i after this library, looked up on first use
 * (from any thread, before or after the constructor). NULL if there is none;
 * the hook then fails with ENOSYS. */
void *xt__real_sym(int i);
#define REAL(name) ((name##_fn)xt__real_sym(XT_SYM_##name))

/* Guard -------------------------------------------------------------------- */

/* Depth of preload code on this thread's stack. Non-zero means "we are inside
 * the library": the client's own I/O, a hook that interrupted another hook
 * (a signal handler), a libc function a hook is calling. initial-exec so that
 * reading it never calls into the dynamic linker or allocates. */
extern XT_TLS int xt__depth;

enum {
  XT_FAM_THREADS = 1u << 0,
  XT_FAM_STDOUT = 1u << 1,
  XT_FAM_STDERR = 1u << 2,
  XT_FAM_SYSLOG = 1u << 3,
  XT_FAM_PROCESS = 1u << 4,
  XT_FAM_SOCKETS = 1u << 5,
  XT_FAM_GRPC = 1u << 6,
};

typedef struct xt__config {
  unsigned families;     /* XT_FAM_* bits switched on */
  int log_level;         /* highest syslog priority value recorded */
  bool log_prefix;       /* write "[xtrace TASK EVENT] " into the output */
  bool debug;            /* XTRACE_DEBUG */
  char exclude_libs[256]; /* comma-separated fnmatch patterns on object names */
  char self_path[4096];  /* this library's file, for LD_PRELOAD of children */
} xt__config;
extern xt__config xt__cfg;

/* 0 before initialisation, 1 while it runs, 2 traced, 3 disabled. */
extern int xt__state;
void xt__init_once(void);

/* Decides whether a hook of family fam records anything; on true the caller
 * must pair it with xt__leave(). False when the thread is already inside the
 * library, is the client's own, or the family (or everything) is off. */
static inline bool xt__enter(unsigned fam) {
  if (xt__depth)
    return false;
  int st = __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE);
  if (st != 2) {
    if (st != 0)
      return false;
    xt__init_once();
    if (__atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) != 2)
      return false;
  }
  if (!(xt__cfg.families & fam))
    return false;
  xt__depth++;
  if (xt_thread_is_internal()) {
    xt__depth--;
    return false;
  }
  return true;
}
static inline void xt__leave(void) { xt__depth--; }

/* The pid the preload believes it runs in; a different getpid() means a vfork
 * child or a child forked behind the hooks' back, where nothing is recorded. */
extern int xt__pid;
bool xt__own_process(void);
/* In a child of fork: the new pid, and an exit event of its own to come. */
void xt__fork_child_reset(void);

/* Recording ---------------------------------------------------------------- */

/* Every event goes through here so that per-thread deferred state (a
 * coalesced socket send, a thread name set from another thread) is written
 * first and the thread's chain stays in call order. */
uint64_t xt__emit(const xt_event_info *ev);
uint64_t xt__emit_text(const char *agent, const char *label, size_t len, const void *caller);

/* Deferred per-thread state hooks: sockets.c and threads.c provide them. */
void xt__sock_flush_pending(void);
void xt__thread_sync_name(void);

/* Writes what the thread still holds (partial log lines, a pending socket
 * send) as events: at thread exit, process exit, before exec. */
void xt__thread_drain(void);

/* Process exit: the exit event and the final flush, once per process. */
void xt__process_exit(int status, bool shutdown);
/* The same for _exit/_Exit: async-signal-safe, see common.c. */
void xt__process_exit_now(int status);

/* Debug output to fd 2 through the real write, from a stack buffer: usable
 * anywhere, including signal handlers. Silent unless XTRACE_DEBUG is set. */
void xt__debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Environment helpers for children (env.c). */
typedef struct xt__childenv {
  char **envp;    /* the environment to pass: points into the fields below */
  char **heap;    /* non-NULL if the vector did not fit on the stack */
  size_t heap_bytes;
  char *stackvec[256];
  char baggage[sizeof "XTRACE_BAGGAGE=" + BG_ENV_BUFSZ];
  char link[sizeof XT_LINK_ENV "=" + 20]; /* a collector known unreachable */
  char preload[8192];
} xt__childenv;
/* Fills ce from envp (NULL means environ) plus the calling thread's context
 * and this library in LD_PRELOAD. Never fails: worst case it passes envp. */
void xt__childenv_build(xt__childenv *ce, char *const envp[]);
void xt__childenv_free(xt__childenv *ce);

/* Records a "spawn"/"exec" event for a child about to start. */
void xt__record_spawn(const char *agent, const char *what, char *const argv[], const void *caller);

#endif
