/*
 * Processes: fork continues the task in the child (a branch), exec* and
 * posix_spawn* hand the context to the new image through XTRACE_BAGGAGE, and
 * every traced process records its exit.
 *
 * glibc's system() and popen() start their shell with posix_spawn on the
 * current environ, internally, where no hook can reach, and the only way to
 * give that shell XTRACE_BAGGAGE through them would be to set it in environ,
 * which other threads read concurrently. So both are implemented here on the
 * real posix_spawn with a private envp, keeping glibc's behaviour: SIGINT and
 * SIGQUIT ignored (reference-counted across concurrent calls) and SIGCHLD
 * blocked in the caller while it waits, defaults restored in the child; popen
 * closes other popen streams in the child and pclose waits for the shell.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "logging.h"

extern char **environ;

/* How long exec waits for this image's events to reach the collector. The
 * client returns early when everything is sent; the bound only matters when
 * the collector is slow, and it keeps exec from stalling on a dead one. */
#define EXEC_FLUSH_MS 200

void xt__threads_fork_prepare(void);
void xt__threads_fork_parent(void);
void xt__threads_fork_child(void);
void xt__sock_fork_child(void);

static pthread_mutex_t popen_lock = PTHREAD_MUTEX_INITIALIZER;

#define RA __builtin_return_address(0)

XT_HOOK pid_t fork(void) {
  fork_fn real = REAL(fork);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  if (xt__depth || __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) != 2)
    return real();
  bool traced = xt__enter(XT_FAM_PROCESS);
  /* Our own locks are taken so the child's copies are consistent; the
   * client's are handled by the atfork handlers xt_init registered. */
  pthread_mutex_lock(&popen_lock);
  xt__threads_fork_prepare();
  pid_t pid = real();
  int err = errno;
  if (pid == 0) {
    xt__threads_fork_child();
    pthread_mutex_init(&popen_lock, NULL);
    xt__fork_child_reset();
    xt__line_reset_all();
    xt__sock_fork_child();
  } else {
    xt__threads_fork_parent();
    pthread_mutex_unlock(&popen_lock);
    if (pid > 0 && traced) {
      char label[48], val[16];
      int n = snprintf(label, sizeof label, "fork child %d", (int)pid);
      snprintf(val, sizeof val, "%d", (int)pid);
      xt_kv kv[] = {{"child_pid", val}};
      const char *tags[] = {"fork"};
      xt_event_info ev = {.agent = "process", .label = label, .label_len = (size_t)n,
                          .caller = RA, .kv = kv, .nkv = 1, .tags = tags, .ntags = 1};
      xt__emit(&ev);
    }
  }
  if (traced)
    xt__leave();
  errno = err;
  return pid;
}

enum exec_kind { EXEC_VE, EXEC_VPE, EXEC_FD, EXEC_AT };

static int call_exec(enum exec_kind kind, int fd, const char *path, char *const argv[],
                     char *const envp[], int flags) {
  switch (kind) {
  case EXEC_VE: {
    execve_fn f = REAL(execve);
    if (f)
      return f(path, argv, envp);
    break;
  }
  case EXEC_VPE: {
    execvpe_fn f = REAL(execvpe);
    if (f)
      return f(path, argv, envp);
    break;
  }
  case EXEC_FD: {
    fexecve_fn f = REAL(fexecve);
    if (f)
      return f(fd, argv, envp);
    break;
  }
  case EXEC_AT: {
    execveat_fn f = REAL(execveat);
    if (f)
      return f(fd, path, argv, envp, flags);
    break;
  }
  }
  errno = ENOSYS;
  return -1;
}

/* In a vfork child (a different pid sharing the parent's memory) nothing is
 * recorded or flushed: the buffers and the reporter are the parent's. The
 * context is still passed on, so the new image joins the parent's task. */
static int do_exec(enum exec_kind kind, int fd, const char *path, char *const argv[],
                   char *const envp[], int flags, const void *caller) {
  if (!xt__enter(XT_FAM_PROCESS))
    return call_exec(kind, fd, path, argv, envp ? envp : environ, flags);
  if (xt__own_process()) {
    xt__thread_drain();
    xt__record_spawn("exec", path ? path : "(fd)", argv, caller);
    xt_flush(EXEC_FLUSH_MS);
  }
  xt__childenv ce;
  xt__childenv_build(&ce, envp);
  int rc = call_exec(kind, fd, path, argv, ce.envp, flags);
  int err = errno;
  xt__childenv_free(&ce);
  xt__leave();
  errno = err;
  return rc;
}

XT_HOOK int execve(const char *path, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_VE, -1, path, argv, envp, 0, RA);
}
XT_HOOK int execv(const char *path, char *const argv[]) {
  return do_exec(EXEC_VE, -1, path, argv, NULL, 0, RA);
}
XT_HOOK int execvpe(const char *file, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_VPE, -1, file, argv, envp, 0, RA);
}
XT_HOOK int execvp(const char *file, char *const argv[]) {
  return do_exec(EXEC_VPE, -1, file, argv, NULL, 0, RA);
}
XT_HOOK int fexecve(int fd, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_FD, fd, NULL, argv, envp, 0, RA);
}
XT_HOOK int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                     int flags) {
  return do_exec(EXEC_AT, dirfd, path, argv, envp, flags, RA);
}

/* execl, execlp, execle: the list becomes a vector on the stack (exec only
 * returns on failure, so nothing needs freeing). */
#define LIST_TO_ARGV(arg0, argv, envp_out)                 \
  size_t argc_ = 1;                                        \
  va_list ap_;                                             \
  va_start(ap_, arg0);                                     \
  while (va_arg(ap_, const char *))                        \
    argc_++;                                               \
  va_end(ap_);                                             \
  const char *argv[argc_ + 1];                             \
  argv[0] = arg0;                                          \
  va_start(ap_, arg0);                                     \
  for (size_t i_ = 1; i_ <= argc_; i_++)                   \
    argv[i_] = va_arg(ap_, const char *);                  \
  envp_out = va_arg(ap_, char *const *);                   \
  va_end(ap_)

XT_HOOK int execl(const char *path, const char *arg, ...) {
  char *const *envp;
  LIST_TO_ARGV(arg, argv, envp);
  (void)envp;
  return do_exec(EXEC_VE, -1, path, (char *const *)argv, NULL, 0, RA);
}
XT_HOOK int execlp(const char *file, const char *arg, ...) {
  char *const *envp;
  LIST_TO_ARGV(arg, argv, envp);
  (void)envp;
  return do_exec(EXEC_VPE, -1, file, (char *const *)argv, NULL, 0, RA);
}
XT_HOOK int execle(const char *path, const char *arg, ...) {
  char *const *envp;
  LIST_TO_ARGV(arg, argv, envp);
  return do_exec(EXEC_VE, -1, path, (char *const *)argv, envp, 0, RA);
}

static int spawn(bool search, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                 const void *caller) {
  posix_spawn_fn real = search ? REAL(posix_spawnp) : REAL(posix_spawn);
  if (!real)
    return ENOSYS;
  if (!xt__enter(XT_FAM_PROCESS))
    return real(pid, path, fa, attr, argv, envp);
  xt__record_spawn("spawn", path, argv, caller);
  xt__childenv ce;
  xt__childenv_build(&ce, envp);
  int rc = real(pid, path, fa, attr, argv, ce.envp);
  xt__childenv_free(&ce);
  xt__leave();
  return rc;
}

XT_HOOK int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  return spawn(false, pid, path, fa, attr, argv, envp, RA);
}
XT_HOOK int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                         const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  return spawn(true, pid, file, fa, attr, argv, envp, RA);
}

/* system() ----------------------------------------------------------------- */

static pthread_mutex_t sys_lock = PTHREAD_MUTEX_INITIALIZER;
static int sys_users;
static struct sigaction sys_saved_int, sys_saved_quit;

static int wait_child(pid_t pid, int *status) {
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

XT_HOOK int system(const char *cmd) {
  system_fn real = REAL(system);
  if (!cmd || !xt__enter(XT_FAM_PROCESS)) {
    if (!real) {
      errno = ENOSYS;
      return -1;
    }
    return real(cmd);
  }
  posix_spawn_fn spawn_real = REAL(posix_spawn);
  char *argv[] = {"sh", "-c", "--", (char *)cmd, NULL};
  xt__record_spawn("spawn", "/bin/sh", argv, RA);

  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  pthread_mutex_lock(&sys_lock);
  if (sys_users++ == 0) {
    sigaction(SIGINT, &ign, &sys_saved_int);
    sigaction(SIGQUIT, &ign, &sys_saved_quit);
  }
  bool int_was_ignored = sys_saved_int.sa_handler == SIG_IGN;
  bool quit_was_ignored = sys_saved_quit.sa_handler == SIG_IGN;
  pthread_mutex_unlock(&sys_lock);
  sigset_t chld, omask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &omask);

  /* The child gets the caller's mask and default INT/QUIT, unless the caller
   * had them ignored already. */
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  if (!int_was_ignored)
    sigaddset(&def, SIGINT);
  if (!quit_was_ignored)
    sigaddset(&def, SIGQUIT);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setsigmask(&attr, &omask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  xt__childenv ce;
  xt__childenv_build(&ce, NULL);
  pid_t pid;
  int status = -1;
  int rc = spawn_real ? spawn_real(&pid, "/bin/sh", NULL, &attr, argv, ce.envp) : ENOSYS;
  int err = 0;
  if (rc == 0) {
    if (wait_child(pid, &status) < 0) {
      err = errno;
      status = -1;
    }
  } else {
    status = W_EXITCODE(127, 0); /* what glibc returns when the shell cannot start */
  }
  xt__childenv_free(&ce);
  posix_spawnattr_destroy(&attr);

  pthread_mutex_lock(&sys_lock);
  if (--sys_users == 0) {
    sigaction(SIGINT, &sys_saved_int, NULL);
    sigaction(SIGQUIT, &sys_saved_quit, NULL);
  }
  pthread_mutex_unlock(&sys_lock);
  sigprocmask(SIG_SETMASK, &omask, NULL);
  xt__leave();
  if (err)
    errno = err;
  return status;
}

/* popen()/pclose() --------------------------------------------------------- */

typedef struct popen_ent {
  struct popen_ent *next;
  FILE *fp;
  int fd;
  pid_t pid;
} popen_ent;
static popen_ent *popen_list;

XT_HOOK FILE *popen(const char *cmd, const char *mode) {
  popen_fn real = REAL(popen);
  posix_spawn_fn spawn_real = REAL(posix_spawn);
  bool reading = mode && mode[0] == 'r';
  bool writing = mode && mode[0] == 'w';
  if ((!reading && !writing) || !spawn_real || !xt__enter(XT_FAM_PROCESS)) {
    if (!real) {
      errno = ENOSYS;
      return NULL;
    }
    return real(cmd, mode);
  }
  bool cloexec = strchr(mode, 'e') != NULL;
  char *argv[] = {"sh", "-c", (char *)cmd, NULL};
  xt__record_spawn("spawn", "/bin/sh", argv, RA);
  FILE *fp = NULL;
  popen_ent *ent = malloc(sizeof *ent);
  int fds[2];
  if (!ent || pipe2(fds, O_CLOEXEC) < 0) {
    int err = ent ? errno : ENOMEM;
    free(ent);
    xt__leave();
    errno = err;
    return NULL;
  }
  int mine = reading ? fds[0] : fds[1], theirs = reading ? fds[1] : fds[0];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, theirs, reading ? 1 : 0);
  xt__childenv ce;
  xt__childenv_build(&ce, NULL);
  /* POSIX: the child must not keep other popen streams open. */
  pthread_mutex_lock(&popen_lock);
  for (popen_ent *e = popen_list; e; e = e->next)
    if (e->fd != (reading ? 1 : 0))
      posix_spawn_file_actions_addclose(&fa, e->fd);
  pid_t pid;
  int rc = spawn_real(&pid, "/bin/sh", &fa, NULL, argv, ce.envp);
  if (rc == 0 && (fp = fdopen(mine, reading ? "r" : "w")) != NULL) {
    if (!cloexec)
      fcntl(mine, F_SETFD, 0);
    ent->fp = fp;
    ent->fd = mine;
    ent->pid = pid;
    ent->next = popen_list;
    popen_list = ent;
  }
  pthread_mutex_unlock(&popen_lock);
  int err = rc ? rc : errno;
  xt__childenv_free(&ce);
  posix_spawn_file_actions_destroy(&fa);
  close_fn cl = REAL(close);
  if (cl)
    cl(theirs);
  if (!fp) {
    if (cl)
      cl(mine);
    if (rc == 0) {
      int st;
      wait_child(pid, &st);
    }
    free(ent);
  }
  xt__leave();
  if (!fp)
    errno = err;
  return fp;
}

XT_HOOK int pclose(FILE *fp) {
  popen_ent *ent = NULL;
  pthread_mutex_lock(&popen_lock);
  for (popen_ent **pp = &popen_list; *pp; pp = &(*pp)->next) {
    if ((*pp)->fp == fp) {
      ent = *pp;
      *pp = ent->next;
      break;
    }
  }
  pthread_mutex_unlock(&popen_lock);
  if (!ent) {
    pclose_fn real = REAL(pclose);
    if (!real) {
      errno = ENOSYS;
      return -1;
    }
    return real(fp);
  }
  fclose(fp);
  int status;
  int rc = wait_child(ent->pid, &status);
  free(ent);
  return rc < 0 ? -1 : status;
}

/* _exit skips exit handlers and destructors; a forked child usually leaves
 * this way, often from a signal handler, so its exit event is recorded here
 * with async-signal-safe means only. */
__attribute__((noreturn)) static void hook_exit(int status) {
  xt__process_exit_now(status);
  _exit_fn real = REAL(_exit);
  if (real)
    real(status);
  syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

XT_HOOK void _exit(int status) { hook_exit(status); }
XT_HOOK void _Exit(int status) { hook_exit(status); }
