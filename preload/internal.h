/*
 * preload/internal.h: everything the files of preload/ share, and the only
 * place one file declares what another defines (the logging, probe and gRPC
 * families add their own headers beside their files). The table of real
 * libc symbols, the reentrancy guard, the configuration read from the
 * environment, the process-level start and exit events, the fork protocol,
 * and the entry points one hook family offers another.
 *
 * Names: xtp_ (XTP_ for macros) is this library's private prefix, so that
 * xt_ stays the client's public API and xt__ its internals. Nothing but the
 * interposed functions (the libc and gRPC names, XTP_HOOK) leaves the
 * library: exports.map keeps all else local.
 *
 * Atomics: the GCC __atomic builtins on plain objects, everywhere in
 * preload/ (no <stdatomic.h>): tables are mapped or static memory shared
 * with code that runs before any thread exists, and each access names its
 * order where it is made.
 */
#ifndef XTP_INTERNAL_H
#define XTP_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xtrace/xtrace.h>

#include "symbols.h"

#define XTP_HOOK __attribute__((visibility("default")))
#define XTP_TLS __thread __attribute__((tls_model("initial-exec")))
/* The hooked call's caller, for the event's "where"; only meaningful in the
 * interposed function itself, so every hook passes it down explicitly. */
#define XTP_CALLER __builtin_return_address(0)

/* Real symbols ------------------------------------------------------------- */

#define XTP_SYM_ENUM(ret, name, params) XTP_SYM_##name,
enum { XTP_REAL_SYMBOLS(XTP_SYM_ENUM) XTP_SYM_COUNT };
#undef XTP_SYM_ENUM

#define XTP_SYM_TYPEDEF(ret, name, params) typedef ret(*name##_fn) params;
XTP_REAL_SYMBOLS(XTP_SYM_TYPEDEF)
#undef XTP_SYM_TYPEDEF

/* The next definition of symbol i after this library, looked up on first use
 * (from any thread, before or after the constructor). NULL if there is none;
 * the hook then fails with ENOSYS. */
void *xtp_real_sym(int i);
/* The start of the loaded object that holds addr (NULL if none), and its
 * path ("" for the program itself) if path is not NULL. _dl_find_object,
 * not dladdr: dladdr also looks for the nearest symbol, scanning the
 * object's whole symbol table, tens of thousands of instructions a call;
 * start-up made a dozen such calls, most of the CPU a short-lived traced
 * process spent in the library. Async-signal-safe. */
void *xtp_object_of(void *addr, const char **path);
#define REAL(name) ((name##_fn)xtp_real_sym(XTP_SYM_##name))
/* The same for a symbol with several versions, pinned to one: dlsym is not
 * guaranteed to return the default (older glibc releases handed out
 * pthread_cond_*@GLIBC_2.2.5). */
void *xtp_real_vsym(int i, const char *version);
#define REALV(name, version) ((name##_fn)xtp_real_vsym(XTP_SYM_##name, version))
/* REAL for the pass-through paths of the stdio hooks, which every stdio call
 * of the program takes: a relaxed load from a copy of the table, inline, not
 * a call (the pointer, once found, never changes). */
extern void *xtp_sym_fast[XTP_SYM_COUNT];
static inline void *xtp_real_fast(int i) {
  void *p = __atomic_load_n(&xtp_sym_fast[i], __ATOMIC_RELAXED);
  if (__builtin_expect(!p, 0)) {
    p = xtp_real_sym(i);
    __atomic_store_n(&xtp_sym_fast[i], p, __ATOMIC_RELAXED);
  }
  return p;
}
#define REAL_FAST(name) ((name##_fn)xtp_real_fast(XTP_SYM_##name))

/* A hook whose real function cannot be found fails the call with ENOSYS,
 * never by ending the process; for calls that fail with -1 and errno. */
static inline int xtp_enosys(void) {
  errno = ENOSYS;
  return -1;
}

/* Guard -------------------------------------------------------------------- */

/* Depth of preload code on this thread's stack. Non-zero means "we are inside
 * the library": the client's own I/O, a hook that interrupted another hook
 * (a signal handler), a libc function a hook is calling. initial-exec so that
 * reading it never calls into the dynamic linker or allocates. */
extern XTP_TLS int xtp_depth;

enum {
  XTP_FAM_THREADS = 1u << 0,
  XTP_FAM_STDOUT = 1u << 1,
  XTP_FAM_STDERR = 1u << 2,
  XTP_FAM_SYSLOG = 1u << 3,
  XTP_FAM_PROCESS = 1u << 4,
  XTP_FAM_SOCKETS = 1u << 5,
  XTP_FAM_GRPC = 1u << 6,
  XTP_FAM_HANDOFF = 1u << 7,
};

typedef struct xtp_config {
  unsigned families;      /* XTP_FAM_* bits switched on */
  int log_level;          /* highest syslog priority value recorded */
  bool log_prefix;        /* write "[xtrace TASK EVENT] " into the output */
  bool debug;             /* XTRACE_DEBUG */
  char exclude_libs[256]; /* comma-separated fnmatch patterns on object names */
  char self_path[4096];   /* this library's file, for LD_PRELOAD of children */
} xtp_config;
extern xtp_config xtp_cfg;

/* Where the library stands; moves forward only (NEW -> STARTING -> TRACED
 * or OFF), and a fork child inherits it. */
typedef enum xtp_phase {
  XTP_NEW = 0,  /* no hook or constructor has run the initialisation yet */
  XTP_STARTING, /* one thread is initialising; hooks pass calls through */
  XTP_TRACED,   /* recording */
  XTP_OFF,      /* XTRACE_DISABLE, or the client could not start */
} xtp_phase;
extern xtp_phase xtp_state;
void xtp_init_once(void);
/* Acquire: a thread that sees XTP_TRACED sees the configuration too. */
static inline bool xtp_traced(void) {
  return __atomic_load_n(&xtp_state, __ATOMIC_ACQUIRE) == XTP_TRACED;
}

/* Decides whether a hook of family fam records anything; on true the caller
 * must pair it with xtp_leave(). False when the thread is already inside the
 * library, is the client's own, or the family (or everything) is off. */
/* The guard without the initialisation: for hooks that libc and the
 * dynamic linker reach before the constructor, where starting the library
 * (and its reporter) is not theirs to do. */
static inline bool xtp_enter_running(unsigned fam) {
  if (xtp_depth || !xtp_traced())
    return false;
  /* Relaxed: stdout's family is switched on and off while threads run
   * (logging/streams.c); a hook that sees the old value is just early. */
  if (!(__atomic_load_n(&xtp_cfg.families, __ATOMIC_RELAXED) & fam))
    return false;
  xtp_depth++;
  if (xt_thread_is_internal()) {
    xtp_depth--;
    return false;
  }
  return true;
}
static inline bool xtp_enter(unsigned fam) {
  if (!xtp_depth && __atomic_load_n(&xtp_state, __ATOMIC_ACQUIRE) == XTP_NEW)
    xtp_init_once();
  return xtp_enter_running(fam);
}
static inline void xtp_leave(void) { xtp_depth--; }

/* The pid the preload believes it runs in; a different getpid() means a vfork
 * child or a child forked behind the hooks' back, where nothing is recorded. */
extern int xtp_pid;
bool xtp_own_process(void);

/* Fork protocol (common.c) ------------------------------------------------- */

/* The three steps fork() (process.c) takes around the real fork, with the
 * guard held: before_fork takes every lock of the library so the child's
 * copies are consistent; after_fork_parent releases them; after_fork_child
 * (one thread left, the parent's others gone mid-call) re-creates the locks
 * and drops what was the parent's. The list of parts is in common.c; each
 * part's steps are declared here beside it, none needs all three. */
void xtp_before_fork(void);
void xtp_after_fork_parent(void);
void xtp_after_fork_child(void);

/* The parts' steps. threads.c: the table of running threads; process.c: the
 * popen list and system()'s lock; grpc/: the shim's tables; probes/: the
 * GOT scan's lock; children.c: the exit key and the table of traced
 * children; sockets.c: a send held for coalescing. */
void xtp_threads_before_fork(void);
void xtp_threads_after_fork_parent(void);
void xtp_threads_after_fork_child(void);
void xtp_process_before_fork(void);
void xtp_process_after_fork_parent(void);
void xtp_process_after_fork_child(void);
void xtp_grpc_after_fork_child(void);
void xtp_probes_after_fork_child(void);
void xtp_kids_after_fork_child(void);
void xtp_sock_after_fork_child(void);

/* Recording ---------------------------------------------------------------- */

/* Every event goes through here so that per-thread deferred state (a
 * coalesced socket send, a thread name set from another thread) is written
 * first and the thread's chain stays in call order. Each kind of event
 * spells out its xt_event_info where it is recorded, one field a line (as
 * clang-format lays out designated initializers): the fields differ from
 * one kind to the next, and a builder with a parameter per field would read
 * worse than the fields named. */
uint64_t xtp_emit(const xt_event_info *ev);
uint64_t xtp_emit_text(const char *agent, const char *label, size_t len, const void *caller);

/* Deferred per-thread state hooks: sockets.c and threads.c provide them. */
void xtp_sock_flush_pending(void);
void xtp_thread_sync_name(void);

/* Sockets (sockets.c): the socket side of the descriptor calls, for
 * descriptors.c, on any descriptor but the logged streams'. caller is the
 * hooked call's. */
ssize_t xtp_sock_write(int fd, const void *p, size_t n, const void *caller);
ssize_t xtp_sock_writev(int fd, const struct iovec *iov, int cnt, const void *caller);
ssize_t xtp_sock_read(int fd, void *p, size_t n, const void *caller);
int xtp_sock_close(int fd);

/* Writes what the thread still holds (partial log lines, a pending socket
 * send) as events: at thread exit, process exit, before exec. */
void xtp_thread_drain(void);

/* Process exit: the exit event and the final flush, once per process. */
void xtp_process_exit(int status, bool shutdown);
/* The same for _exit/_Exit: async-signal-safe, see common.c. */
void xtp_process_exit_now(int status);

/* Debug output to fd 2 through the real write, from a stack buffer: usable
 * anywhere, including signal handlers. Silent unless XTRACE_DEBUG is set. */
void xtp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Environment helpers for children (env.c). */

/* The calling thread's scratch area, at least bytes long, lazily mapped and
 * kept until the thread exits; NULL if it cannot be had. For what a hook
 * needs beyond its 2 KiB of stack; usable in a vfork child. */
void *xtp_scratch(size_t bytes);
/* Bytes of scratch xtp_childenv_build needs for envp. */
size_t xtp_childenv_bytes(char *const envp[]);
/* The environment to give a child: envp (never NULL-substituted: a NULL or
 * empty envp is returned as it is) without stale XTRACE_* entries, plus the
 * calling thread's context, exit_key (if non-zero) and this library in
 * LD_PRELOAD. Built in mem; reads the context and writes nothing else. */
char **xtp_childenv_build(void *mem, char *const envp[], uint64_t exit_key);
/* The XTRACE_EXIT_KEY this process was started with, 0 if none. */
uint64_t xtp_env_exit_key(void);

/* Records a "spawn"/"exec" event for a child about to start, with label
 * space from the caller and an ID chosen ahead (0: a fresh one). */
#define XTP_SPAWN_LABEL 1024
void xtp_record_spawn(const char *agent, const char *what, char *const argv[], const void *caller,
                      char label[XTP_SPAWN_LABEL], uint64_t event_id);

/* Process edges (children.c). At start-up: read the inherited exit key. The
 * ID this process's exit event takes (0: a fresh one), so that a waiting
 * parent can join it; _spend gives it to another event instead, once. The
 * key to pass on to an exec'd image (our own) and to new children. */
void xtp_process_init(void);
uint64_t xtp_exit_event_id(void);
uint64_t xtp_exit_id_spend(void);
uint64_t xtp_exit_key_own(void);
uint64_t xtp_exit_key_kids(void);
/* A child started traced in task (and taken back when its start failed); a
 * wait that returned pid (caller holds the guard). */
void xtp_kid_add(pid_t pid, uint64_t task);
void xtp_kid_forget(pid_t pid);
void xtp_kid_join(pid_t pid, bool exited, bool reaped);

/* Hand-offs (handoff.c): a thread that runs gRPC's callback functors is
 * gRPC's. The shim gives each functor its call's context, so a context the
 * thread adopted from whoever woke it is put down, and it adopts none again
 * (it would outlive the functor and tie gRPC's own work to that request). */
void xtp_handoff_thread_is_grpcs(void);

#endif
