/*
 * The shared part of the preload: real-symbol lookup, configuration, start-up
 * (the process's task and its first event), the exit event, the fork
 * protocol every part with locks or per-process state registers with, and
 * the one path every event takes (xtp_emit).
 */
#include "internal.h"

#include <ctype.h>
#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "logging/logging.h"
#include "probes/probes.h"

XTP_TLS int xtp_depth;
xtp_config xtp_cfg;
xtp_phase xtp_state;
int xtp_pid;

#define XTP_SYM_NAME(ret, name, params) #name,
static const char *const sym_names[XTP_SYM_COUNT] = {XTP_REAL_SYMBOLS(XTP_SYM_NAME)};
#undef XTP_SYM_NAME
static void *sym_table[XTP_SYM_COUNT];
void *xtp_sym_fast[XTP_SYM_COUNT];

void *xtp_object_of(void *addr, const char **path) {
  struct dl_find_object fo;
  if (_dl_find_object(addr, &fo) != 0)
    return NULL;
  if (path)
    *path = fo.dlfo_link_map ? fo.dlfo_link_map->l_name : "";
  return fo.dlfo_map_start;
}

/* A lookup that lands back in this library means the RTLD_NEXT chain is
 * broken (the library was linked into the program instead of preloaded, or
 * preloaded twice); every hook would then call itself forever, so this is the
 * one case where aborting beats limping on. */
static void check_not_self(const char *name, void *p) {
  void *self = xtp_object_of((void *)xtp_real_sym, NULL);
  if (self && xtp_object_of(p, NULL) == self) {
    static const char msg[] = "xtrace-preload: dlsym(RTLD_NEXT) returned the preload's own ";
    write_fn w = (write_fn)dlsym(RTLD_NEXT, "write");
    if (w) {
      w(2, msg, sizeof msg - 1);
      w(2, name, strlen(name));
      w(2, "\n", 1);
    }
    abort();
  }
}

/* The default version of every symbol listed is the one programs built on
 * this system call (pthread_create@@GLIBC_2.34 and @GLIBC_2.2.5 are the same
 * code; posix_spawn@@GLIBC_2.15 is the current one), so plain dlsym is right,
 * except for pthread_cond_*, looked up with a version (xtp_real_vsym): the
 * versioned answer is taken only when it lands in the same object as the
 * plain one, since another interposer between this library and libc (a
 * sanitizer runtime, a second preload) exports one unversioned definition
 * and must keep seeing the calls. Races between threads resolving the same
 * symbol are harmless: both store the same pointer. */
static void *resolve(int i, const char *version) {
  void *p = __atomic_load_n(&sym_table[i], __ATOMIC_ACQUIRE);
  if (p)
    return p;
  xtp_depth++;
  p = dlsym(RTLD_NEXT, sym_names[i]);
  if (version) {
    void *v = dlvsym(RTLD_NEXT, sym_names[i], version);
    void *in = p ? xtp_object_of(p, NULL) : NULL;
    if (!p || (v && in && xtp_object_of(v, NULL) == in))
      p = v;
  }
  if (p)
    check_not_self(sym_names[i], p);
  xtp_depth--;
  if (p)
    __atomic_store_n(&sym_table[i], p, __ATOMIC_RELEASE);
  return p;
}

void *xtp_real_sym(int i) { return resolve(i, NULL); }
void *xtp_real_vsym(int i, const char *version) { return resolve(i, version); }

void xtp_debug(const char *fmt, ...) {
  if (!xtp_cfg.debug)
    return;
  va_list ap;
  va_start(ap, fmt);
  xt_debugv("xtrace-preload", fmt, ap);
  va_end(ap);
}

bool xtp_own_process(void) { return getpid() == __atomic_load_n(&xtp_pid, __ATOMIC_RELAXED); }

/* Configuration ------------------------------------------------------------ */

static bool env_flag(const char *name, bool dflt) {
  const char *v = getenv(name);
  if (!v || !*v)
    return dflt;
  return !(strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
           strcasecmp(v, "off") == 0);
}

/* A count from min up to a billion; anything else is the default. */
static unsigned env_uint(const char *name, unsigned min, unsigned dflt) {
  const char *v = getenv(name);
  if (!v || !*v)
    return dflt;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  return *end || n < min || n > 1000000000 ? dflt : (unsigned)n;
}

static bool list_has(const char *list, const char *word) {
  size_t wl = strlen(word);
  for (const char *p = list; *p;) {
    while (*p == ',' || *p == ' ' || *p == ':')
      p++;
    size_t n = strcspn(p, ", :");
    if (n == wl && strncasecmp(p, word, n) == 0)
      return true;
    p += n;
  }
  return false;
}

static int parse_level(const char *v) {
  static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                      "warning", "notice", "info", "debug"};
  if (!v || !*v)
    return LOG_DEBUG;
  if (isdigit((unsigned char)v[0]) && v[1] == '\0')
    return v[0] - '0' > LOG_DEBUG ? LOG_DEBUG : v[0] - '0';
  for (int i = 0; i < 8; i++)
    if (strcasecmp(v, names[i]) == 0)
      return i;
  if (strcasecmp(v, "error") == 0)
    return LOG_ERR;
  if (strcasecmp(v, "warn") == 0)
    return LOG_WARNING;
  return LOG_DEBUG;
}

static void read_config(void) {
  xtp_config *c = &xtp_cfg;
  c->debug = env_flag("XTRACE_DEBUG", false);
  unsigned f = 0;
  /* stdout is data as often as it is a log (sort, gzip, a pipeline's
   * middle), and a pipe or a file says nothing about which: a container's
   * log is a pipe too. Where it goes with stderr it is read as a log
   * (logging/streams.c). */
  const char *streams = getenv("XTRACE_LOG_STREAMS");
  if (!streams)
    streams = "stderr,syslog,shared-stdout";
  if (list_has(streams, "stderr"))
    f |= XTP_FAM_STDERR;
  if (list_has(streams, "stdout"))
    f |= XTP_FAM_STDOUT;
  else if (xtp_streams_setup(list_has(streams, "shared-stdout")))
    f |= XTP_FAM_STDOUT;
  if (list_has(streams, "syslog"))
    f |= XTP_FAM_SYSLOG;
  if (env_flag("XTRACE_THREADS", true))
    f |= XTP_FAM_THREADS;
  if (env_flag("XTRACE_PROCESS", true))
    f |= XTP_FAM_PROCESS;
  if (env_flag("XTRACE_SOCKET_EVENTS", false))
    f |= XTP_FAM_SOCKETS;
  if (env_flag("XTRACE_GRPC", true))
    f |= XTP_FAM_GRPC;
  if (env_flag("XTRACE_HANDOFF", true))
    f |= XTP_FAM_HANDOFF;
  c->families = f;
  c->log_level = parse_level(getenv("XTRACE_LOG_LEVEL"));
  c->log_prefix = env_flag("XTRACE_LOG_PREFIX", false);
  xtp_budget_setup(env_uint("XTRACE_LOG_RATE", 0, 100), env_uint("XTRACE_LOG_BURST", 1, 1000));
  const char *ex = getenv("XTRACE_EXCLUDE_LIBS");
  snprintf(c->exclude_libs, sizeof c->exclude_libs, "%s", ex ? ex : "libgrpc*");
  const char *self;
  if (xtp_object_of((void *)read_config, &self) && self[0])
    snprintf(c->self_path, sizeof c->self_path, "%s", self);
}

/* Start and exit ----------------------------------------------------------- */

/* The arguments the constructor was handed; NULL when a hook of another
 * library's constructor initialised the library first. */
static char **ctor_argv;
static int ctor_argc;

/* The command line, NULs turned to spaces, as /proc/self/cmdline has it.
 * From the constructor's argv when there is one: opening a /proc file is
 * one of the dearer steps of a process that only starts and exits. */
static size_t read_cmdline(char *buf, size_t cap) {
  size_t n = 0;
  if (ctor_argv) {
    for (int i = 0; i < ctor_argc && ctor_argv[i] && n < cap; i++) {
      size_t len = strnlen(ctor_argv[i], cap - n);
      memcpy(buf + n, ctor_argv[i], len);
      n += len;
      if (n < cap)
        buf[n++] = '\0';
    }
  } else {
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return 0;
    read_fn rd = REAL(read);
    while (rd && n < cap) {
      ssize_t r = rd(fd, buf + n, cap - n);
      if (r <= 0)
        break;
      n += (size_t)r;
    }
    close_fn cl = REAL(close);
    if (cl)
      cl(fd);
  }
  while (n > 0 && buf[n - 1] == '\0')
    n--;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
  return n;
}

static void on_process_exit(int status, void *arg);

/* A process with XTRACE_BAGGAGE continues the task that spawned it; any other
 * process starts a task for its main thread. Either way the first event names
 * the command line. */
static void start_task(void) {
  static bg_context inherited; /* too big for the stack of an early hook */
  static char cmd[XT_LABEL_MAX];
  size_t n = read_cmdline(cmd, sizeof cmd);
  const char *tag = "main";
  const char *bag = getenv("XTRACE_BAGGAGE");
  if (bag && bg_env_decode(&inherited, bag, strlen(bag)) == 0 && inherited.task_id) {
    xt_context_set(&inherited);
    tag = "start";
  } else {
    if (bag)
      xt_count_parse_failure();
    xt_task_start();
  }
  const char *tags[] = {tag};
  xt_kv kv[1];
  xt_event_info ev = {.agent = "process",
                      .label = cmd,
                      .label_len = n,
                      .tags = tags,
                      .ntags = 1,
                      .source = "process start",
                      .kv = kv,
                      .nkv = xtp_probes_start_kv(kv)};
  xtp_emit(&ev);
}

void xtp_init_once(void) {
  xtp_phase expected = XTP_NEW;
  if (!__atomic_compare_exchange_n(&xtp_state, &expected, XTP_STARTING, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  xtp_depth++;
  int saved = errno;
  read_config();
  xtp_phase st = XTP_OFF;
  if (!env_flag("XTRACE_DISABLE", false)) {
    int rc = xt_init(NULL);
    if (rc == 0) {
      xtp_line_setup();
      xtp_pid = getpid();
      xtp_process_init();
      xtp_probes_init();
      start_task();
      on_exit(on_process_exit, NULL);
      st = XTP_TRACED;
    } else {
      xtp_debug("xt_init failed: %s; tracing off", bg_strerror(rc));
    }
  }
  errno = saved;
  xtp_depth--;
  __atomic_store_n(&xtp_state, st, __ATOMIC_RELEASE);
}

/* glibc hands the program's argc and argv to the initialisers of every
 * object, this one included. */
__attribute__((constructor)) static void preload_init(int argc, char **argv) {
  ctor_argc = argc;
  ctor_argv = argv;
  xtp_init_once();
  ctor_argv = NULL;
}

void xtp_thread_drain(void) {
  xtp_line_flush_all();
  xtp_sock_flush_pending();
}

static int exit_recorded;

/* Writes "exit N" into buf (at least 16 bytes) and N alone into val (at
 * least 12) without stdio; returns the label's length. */
static size_t exit_label(char *buf, char *val, int status) {
  char digits[12];
  size_t n = 0;
  unsigned u = status < 0 ? 0u - (unsigned)status : (unsigned)status;
  do {
    digits[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  size_t len = 0;
  if (status < 0)
    val[len++] = '-';
  while (n)
    val[len++] = digits[--n];
  val[len] = '\0';
  memcpy(buf, "exit ", 5);
  memcpy(buf + 5, val, len + 1);
  return len + 5;
}

/* The exit event, "exit N" with the status as a value, under the ID a
 * waiting parent joins; built in e, without stdio (see xtp_process_exit_now). */
typedef struct exit_ev {
  char label[20], val[12];
  const char *tags[1];
  xt_kv kv[1];
  xt_event_info ev;
} exit_ev;

static const xt_event_info *exit_event(exit_ev *e, int status) {
  size_t n = exit_label(e->label, e->val, status);
  e->tags[0] = "exit";
  e->kv[0] = (xt_kv){"exit_status", e->val};
  e->ev = (xt_event_info){.agent = "process",
                          .label = e->label,
                          .label_len = n,
                          .tags = e->tags,
                          .ntags = 1,
                          .kv = e->kv,
                          .nkv = 1,
                          .source = "process exit",
                          .event_id = xtp_exit_event_id()};
  return &e->ev;
}

/* Called from exit() (through on_exit, which hands over the status), from
 * _exit/_Exit and from the destructor. The exit event is recorded once per
 * process image; shutdown flushes the reporter and stops it. */
void xtp_process_exit(int status, bool shutdown) {
  if (!xtp_traced() || !xtp_own_process())
    return;
  xtp_depth++;
  int saved = errno;
  xtp_thread_drain();
  if (status >= 0 && !__atomic_exchange_n(&exit_recorded, 1, __ATOMIC_ACQ_REL)) {
    exit_ev e;
    xtp_emit(exit_event(&e, status));
  }
  if (shutdown)
    xt_shutdown();
  errno = saved;
  xtp_depth--;
}

/* _exit and _Exit, from anywhere: a signal handler that interrupted malloc,
 * a fork child whose other threads vanished holding locks. So only what is
 * async-signal-safe: the exit event goes into the lock-free buffer, and a
 * running reporter that has reached the collector gets a bounded moment to
 * send it. Partial log lines stay unwritten (assembling them may lock a
 * stream), no reporter is started, and nothing waits for a collector not
 * reached. A signal that interrupted the library itself records nothing:
 * the thread's state is mid-update. */
void xtp_process_exit_now(int status) {
  if (xtp_depth || !xtp_traced() || !xtp_own_process())
    return;
  xtp_depth++;
  int saved = errno;
  if (!__atomic_exchange_n(&exit_recorded, 1, __ATOMIC_ACQ_REL)) {
    exit_ev e;
    xt_exit_flush(exit_event(&e, status), 0);
  } else {
    xt_exit_flush(NULL, 0);
  }
  errno = saved;
  xtp_depth--;
}

/* The handler is registered by the constructor, before __libc_start_main
 * registers the dynamic linker's _dl_fini, so exit() runs it last of all:
 * after the program's atexit handlers, its static destructors and every
 * library destructor. Everything they logged is recorded before the exit
 * event, and the reporter is flushed and stopped only then. */
static void on_process_exit(int status, void *arg) {
  (void)arg;
  xtp_process_exit(status, true);
}

/* Destructors run before on_process_exit; nothing to stop yet, but a
 * partial line of the exiting thread is recorded while its order is known. */
__attribute__((destructor)) static void preload_fini(void) { xtp_process_exit(-1, false); }

/* Fork protocol -------------------------------------------------------------- */

/* In a child of fork: the new pid, and an exit event of its own to come. */
static void process_after_fork_child(void) {
  __atomic_store_n(&xtp_pid, getpid(), __ATOMIC_RELAXED);
  __atomic_store_n(&exit_recorded, 0, __ATOMIC_RELAXED);
}

/* Every part of the library with a lock or per-process state, and its
 * steps (NULL: none). before_fork runs down the list and after_fork_parent
 * back up it, so locks are released in the reverse order of taking; no
 * library lock is held while another is taken anywhere else, so the order
 * among them is free. A lock held across the fork makes the child's copy of
 * what it guards whole; a part whose lock is only re-created in the child
 * says why that is enough (grpc/map.c, process.c, probes/got.c).
 * after_fork_child runs down the list: each step stands alone.
 *
 * Not listed, on purpose. The client (xtrace/client) registers its own
 * pthread_atfork child handler in xt_init, since it also serves programs
 * without this library; it runs inside the real fork, before these steps,
 * and gives the child an empty buffer and no reporter. The hand-off table
 * (handoff.c) takes no lock: an entry caught mid-write is skipped in the
 * child. Per-thread state (scratch, line buffers, the reentrancy depth) is
 * the forking thread's own and stays valid. A vfork child runs on its
 * parent's memory, so it takes none of these steps (process.c, exec). */
static const struct fork_part {
  void (*before)(void);
  void (*parent)(void);
  void (*child)(void);
} fork_parts[] = {
    {xtp_process_before_fork, xtp_process_after_fork_parent, xtp_process_after_fork_child},
    {xtp_threads_before_fork, xtp_threads_after_fork_parent, xtp_threads_after_fork_child},
    {NULL, NULL, xtp_grpc_after_fork_child},
    {NULL, NULL, xtp_probes_after_fork_child},
    {NULL, NULL, process_after_fork_child},
    {NULL, NULL, xtp_kids_after_fork_child},
    {NULL, NULL, xtp_line_after_fork_child},
    {NULL, NULL, xtp_budget_after_fork_child},
    {NULL, NULL, xtp_sock_after_fork_child},
};
#define FORK_PARTS (sizeof fork_parts / sizeof fork_parts[0])

void xtp_before_fork(void) {
  for (size_t i = 0; i < FORK_PARTS; i++)
    if (fork_parts[i].before)
      fork_parts[i].before();
}

void xtp_after_fork_parent(void) {
  for (size_t i = FORK_PARTS; i-- > 0;)
    if (fork_parts[i].parent)
      fork_parts[i].parent();
}

void xtp_after_fork_child(void) {
  for (size_t i = 0; i < FORK_PARTS; i++)
    if (fork_parts[i].child)
      fork_parts[i].child();
}

uint64_t xtp_emit(const xt_event_info *ev) {
  xtp_sock_flush_pending();
  xtp_thread_sync_name();
  return xt_event(ev);
}

uint64_t xtp_emit_text(const char *agent, const char *label, size_t len, const void *caller) {
  xt_event_info ev = {.agent = agent, .label = label, .label_len = len, .caller = caller};
  return xtp_emit(&ev);
}
