/*
 * The shared part of the preload: real-symbol lookup, configuration, start-up
 * (the process's task and its first event) and the exit event.
 */
#include "common.h"

#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "logging.h"
#include "probes.h"

XT_TLS int xt__depth;
xt__config xt__cfg;
int xt__state;
int xt__pid;

#define XT_SYM_NAME(ret, name, params) #name,
static const char *const sym_names[XT_SYM_COUNT] = {XT_REAL_SYMBOLS(XT_SYM_NAME)};
#undef XT_SYM_NAME
static void *sym_table[XT_SYM_COUNT];

/* A lookup that lands back in this library means the RTLD_NEXT chain is
 * broken (the library was linked into the program instead of preloaded, or
 * preloaded twice); every hook would then call itself forever, so this is the
 * one case where aborting beats limping on. */
static void check_not_self(const char *name, void *p) {
  Dl_info self, found;
  if (!dladdr((void *)xt__real_sym, &self) || !dladdr(p, &found))
    return;
  if (self.dli_fbase == found.dli_fbase) {
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
 * except for pthread_cond_*, looked up with a version (xt__real_vsym): the
 * versioned answer is taken only when it lands in the same object as the
 * plain one, since another interposer between this library and libc (a
 * sanitizer runtime, a second preload) exports one unversioned definition
 * and must keep seeing the calls. Races between threads resolving the same
 * symbol are harmless: both store the same pointer. */
static void *resolve(int i, const char *version) {
  void *p = __atomic_load_n(&sym_table[i], __ATOMIC_ACQUIRE);
  if (p)
    return p;
  xt__depth++;
  p = dlsym(RTLD_NEXT, sym_names[i]);
  if (version) {
    void *v = dlvsym(RTLD_NEXT, sym_names[i], version);
    Dl_info pi, vi;
    if (!p || (v && dladdr(p, &pi) && dladdr(v, &vi) && pi.dli_fbase == vi.dli_fbase))
      p = v;
  }
  if (p)
    check_not_self(sym_names[i], p);
  xt__depth--;
  if (p)
    __atomic_store_n(&sym_table[i], p, __ATOMIC_RELEASE);
  return p;
}

void *xt__real_sym(int i) { return resolve(i, NULL); }
void *xt__real_vsym(int i, const char *version) { return resolve(i, version); }

void xt__debug(const char *fmt, ...) {
  if (!xt__cfg.debug)
    return;
  va_list ap;
  va_start(ap, fmt);
  xt_debugv("xtrace-preload", fmt, ap);
  va_end(ap);
}

bool xt__own_process(void) { return getpid() == __atomic_load_n(&xt__pid, __ATOMIC_RELAXED); }

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
  static const char *const names[] = {"emerg", "alert", "crit", "err", "warning", "notice",
                                      "info", "debug"};
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
  xt__config *c = &xt__cfg;
  c->debug = env_flag("XTRACE_DEBUG", false);
  unsigned f = 0;
  /* stdout is data as often as it is a log (sort, gzip, a pipeline's
   * middle), and a pipe or a file says nothing about which: a container's
   * log is a pipe too. Where it goes with stderr it is read as a log
   * (logging_streams.c). */
  const char *streams = getenv("XTRACE_LOG_STREAMS");
  if (!streams)
    streams = "stderr,syslog,shared-stdout";
  if (list_has(streams, "stderr"))
    f |= XT_FAM_STDERR;
  if (list_has(streams, "stdout"))
    f |= XT_FAM_STDOUT;
  else if (xt__streams_setup(list_has(streams, "shared-stdout")))
    f |= XT_FAM_STDOUT;
  if (list_has(streams, "syslog"))
    f |= XT_FAM_SYSLOG;
  if (env_flag("XTRACE_THREADS", true))
    f |= XT_FAM_THREADS;
  if (env_flag("XTRACE_PROCESS", true))
    f |= XT_FAM_PROCESS;
  if (env_flag("XTRACE_SOCKET_EVENTS", false))
    f |= XT_FAM_SOCKETS;
  if (env_flag("XTRACE_GRPC", true))
    f |= XT_FAM_GRPC;
  if (env_flag("XTRACE_HANDOFF", true))
    f |= XT_FAM_HANDOFF;
  c->families = f;
  c->log_level = parse_level(getenv("XTRACE_LOG_LEVEL"));
  c->log_prefix = env_flag("XTRACE_LOG_PREFIX", false);
  xt__budget_setup(env_uint("XTRACE_LOG_RATE", 0, 100), env_uint("XTRACE_LOG_BURST", 1, 1000));
  const char *ex = getenv("XTRACE_EXCLUDE_LIBS");
  snprintf(c->exclude_libs, sizeof c->exclude_libs, "%s", ex ? ex : "libgrpc*");
  Dl_info self;
  if (dladdr((void *)read_config, &self) && self.dli_fname)
    snprintf(c->self_path, sizeof c->self_path, "%s", self.dli_fname);
}

/* Start and exit ----------------------------------------------------------- */

/* The command line, NULs turned to spaces: read from /proc because hooks may
 * initialise the library before its constructor receives argv. */
static size_t read_cmdline(char *buf, size_t cap) {
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  size_t n = 0;
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
  xt_event_info ev = {.agent = "process", .label = cmd, .label_len = n, .tags = tags, .ntags = 1,
                      .source = "process start", .kv = kv, .nkv = xt__probes_start_kv(kv)};
  xt__emit(&ev);
}

void xt__init_once(void) {
  int expected = 0;
  if (!__atomic_compare_exchange_n(&xt__state, &expected, 1, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  xt__depth++;
  int saved = errno;
  read_config();
  int st = 3;
  if (!env_flag("XTRACE_DISABLE", false)) {
    int rc = xt_init(NULL);
    if (rc == 0) {
      xt__line_setup();
      xt__pid = getpid();
      xt__process_init();
      xt__probes_init();
      start_task();
      on_exit(on_process_exit, NULL);
      st = 2;
    } else {
      xt__debug("xt_init failed: %s; tracing off", bg_strerror(rc));
    }
  }
  errno = saved;
  xt__depth--;
  __atomic_store_n(&xt__state, st, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void preload_init(void) { xt__init_once(); }

void xt__thread_drain(void) {
  xt__line_flush_all();
  xt__sock_flush_pending();
}

static int exit_recorded;

/* Called from exit() (through on_exit, which hands over the status), from
 * _exit/_Exit and from the destructor. The exit event is recorded once per
 * process image; shutdown flushes the reporter and stops it. */
void xt__process_exit(int status, bool shutdown) {
  if (__atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) != 2 || !xt__own_process())
    return;
  xt__depth++;
  int saved = errno;
  xt__thread_drain();
  if (status >= 0 && !__atomic_exchange_n(&exit_recorded, 1, __ATOMIC_ACQ_REL)) {
    char label[32], val[16];
    int n = snprintf(label, sizeof label, "exit %d", status);
    snprintf(val, sizeof val, "%d", status);
    const char *tags[] = {"exit"};
    xt_kv kv[] = {{"exit_status", val}};
    xt_event_info ev = {.agent = "process", .label = label, .label_len = (size_t)n, .tags = tags,
                        .ntags = 1, .kv = kv, .nkv = 1, .source = "process exit",
                        .event_id = xt__exit_event_id()};
    xt__emit(&ev);
  }
  if (shutdown)
    xt_shutdown();
  errno = saved;
  xt__depth--;
}

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

/* _exit and _Exit, from anywhere: a signal handler that interrupted malloc,
 * a fork child whose other threads vanished holding locks. So only what is
 * async-signal-safe: the exit event goes into the lock-free buffer, and a
 * running reporter that has reached the collector gets a bounded moment to
 * send it. Partial log lines stay unwritten (assembling them may lock a
 * stream), no reporter is started, and nothing waits for a collector not
 * reached. A signal that interrupted the library itself records nothing:
 * the thread's state is mid-update. */
void xt__process_exit_now(int status) {
  if (xt__depth || __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) != 2 || !xt__own_process())
    return;
  xt__depth++;
  int saved = errno;
  if (!__atomic_exchange_n(&exit_recorded, 1, __ATOMIC_ACQ_REL)) {
    char label[20], val[12];
    size_t n = exit_label(label, val, status);
    const char *tags[] = {"exit"};
    xt_kv kv[] = {{"exit_status", val}};
    xt_event_info ev = {.agent = "process", .label = label, .label_len = n, .tags = tags,
                        .ntags = 1, .kv = kv, .nkv = 1, .source = "process exit",
                        .event_id = xt__exit_event_id()};
    xt_exit_flush(&ev, 0);
  } else {
    xt_exit_flush(NULL, 0);
  }
  errno = saved;
  xt__depth--;
}

/* The handler is registered by the constructor, before __libc_start_main
 * registers the dynamic linker's _dl_fini, so exit() runs it last of all:
 * after the program's atexit handlers, its static destructors and every
 * library destructor. Everything they logged is recorded before the exit
 * event, and the reporter is flushed and stopped only then. */
static void on_process_exit(int status, void *arg) {
  (void)arg;
  xt__process_exit(status, true);
}

/* Destructors run before on_process_exit; nothing to stop yet, but a
 * partial line of the exiting thread is recorded while its order is known. */
__attribute__((destructor)) static void preload_fini(void) { xt__process_exit(-1, false); }

void xt__fork_child_reset(void) {
  __atomic_store_n(&xt__pid, getpid(), __ATOMIC_RELAXED);
  __atomic_store_n(&exit_recorded, 0, __ATOMIC_RELAXED);
}

uint64_t xt__emit(const xt_event_info *ev) {
  xt__sock_flush_pending();
  xt__thread_sync_name();
  return xt_event(ev);
}

uint64_t xt__emit_text(const char *agent, const char *label, size_t len, const void *caller) {
  xt_event_info ev = {.agent = agent, .label = label, .label_len = len, .caller = caller};
  return xt__emit(&ev);
}
