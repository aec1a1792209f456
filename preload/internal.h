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
/* The same for a symbol with several versions, pinned to one: dlsym is not
 * guaranteed to return the default (older glibc releases handed out
 * pthread_cond_*@GLIBC_2.2.5). */
void *xt__real_vsym(int i, const char *version);
#define REALV(name, version) ((name##_fn)xt__real_vsym(XT_SYM_##name, version))

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
  XT_FAM_HANDOFF = 1u << 7,
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
/* The guard without the initialisation: for hooks that libc and the
 * dynamic linker reach before the constructor, where starting the library
 * (and its reporter) is not theirs to do. */
static inline bool xt__enter_running(unsigned fam) {
  if (xt__depth || __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) != 2)
    return false;
  /* Relaxed: stdout's family is switched on and off while threads run
   * (logging_streams.c); a hook that sees the old value is just early. */
  if (!(__atomic_load_n(&xt__cfg.families, __ATOMIC_RELAXED) & fam))
    return false;
  xt__depth++;
  if (xt_thread_is_internal()) {
    xt__depth--;
    return false;
  }
  return true;
}
static inline bool xt__enter(unsigned fam) {
  if (!xt__depth && __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) == 0)
    xt__init_once();
  return xt__enter_running(fam);
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

/* The calling thread's scratch area, at least bytes long, lazily mapped and
 * kept until the thread exits; NULL if it cannot be had. For what a hook
 * needs beyond its 2 KiB of stack; usable in a vfork child. */
void *xt__scratch(size_t bytes);
/* Bytes of scratch xt__childenv_build needs for envp. */
size_t xt__childenv_bytes(char *const envp[]);
/* The environment to give a child: envp (never NULL-substituted: a NULL or
 * empty envp is returned as it is) without stale XTRACE_* entries, plus the
 * calling thread's context, exit_key (if non-zero) and this library in
 * LD_PRELOAD. Built in mem; reads the context and writes nothing else. */
char **xt__childenv_build(void *mem, char *const envp[], uint64_t exit_key);
/* The XTRACE_EXIT_KEY this process was started with, 0 if none. */
uint64_t xt__env_exit_key(void);

/* Records a "spawn"/"exec" event for a child about to start, with label
 * space from the caller and an ID chosen ahead (0: a fresh one). */
#define XT_SPAWN_LABEL 1024
void xt__record_spawn(const char *agent, const char *what, char *const argv[],
                      const void *caller, char label[XT_SPAWN_LABEL], uint64_t event_id);

/* Process edges (children.c). At start-up: read the inherited exit key. The
 * ID this process's exit event takes (0: a fresh one), so that a waiting
 * parent can join it; _spend gives it to another event instead, once. The
 * key to pass on to an exec'd image (our own) and to new children. */
void xt__process_init(void);
uint64_t xt__exit_event_id(void);
uint64_t xt__exit_id_spend(void);
uint64_t xt__exit_key_own(void);
uint64_t xt__exit_key_kids(void);
/* A fork child's new identity; a child started traced in task (and taken
 * back when its start failed); a wait that returned pid (caller holds the
 * guard). */
void xt__kids_fork_child(void);
void xt__kid_add(pid_t pid, uint64_t task);
void xt__kid_forget(pid_t pid);
void xt__kid_join(pid_t pid, bool exited, bool reaped);

/* Hand-offs (handoff.c): a thread that runs gRPC's callback functors is
 * gRPC's. The shim gives each functor its call's context, so a context the
 * thread adopted from whoever woke it is put down, and it adopts none again
 * (it would outlive the functor and tie gRPC's own work to that request). */
void xt__handoff_thread_is_grpcs(void);

#endif
