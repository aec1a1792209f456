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

#include "internal.h"
#include "logging/logging.h"

/* How long exec waits for this image's events to reach the collector. The
 * client returns early when everything is sent; the bound only matters when
 * the collector is slow, and it keeps exec from stalling on a dead one. */
#define EXEC_FLUSH_MS 200

/* Guards popen_list (below); a part of the fork protocol. */
static pthread_mutex_t popen_lock = PTHREAD_MUTEX_INITIALIZER;

void xtp_process_before_fork(void) { pthread_mutex_lock(&popen_lock); }
void xtp_process_after_fork_parent(void) { pthread_mutex_unlock(&popen_lock); }
static pthread_mutex_t sys_lock = PTHREAD_MUTEX_INITIALIZER; /* system(), below */

/* sys_lock is only re-created in the child: it is held for two sigaction
 * calls at a time, and what it guards (system()'s saved dispositions) is
 * the parent's business. */
void xtp_process_after_fork_child(void) {
  pthread_mutex_init(&popen_lock, NULL);
  pthread_mutex_init(&sys_lock, NULL);
}

/* The child descends from the fork event, whose ID is chosen before the
 * fork so that the child can name it; the parent records it after, when the
 * label can name the child. */
XTP_HOOK pid_t fork(void) {
  fork_fn real = REAL(fork);
  if (!real)
    return xtp_enosys();
  if (xtp_depth || !xtp_traced())
    return real();
  bool traced = xtp_enter(XTP_FAM_PROCESS);
  bg_context *ctx = xt_context();
  uint64_t fork_id = traced && ctx->task_id ? bg_id_fresh() : 0;
  xtp_before_fork();
  pid_t pid = real();
  int err = errno;
  if (pid == 0) {
    xtp_after_fork_child();
    if (fork_id)
      bg_parents_set_one(ctx, fork_id);
  } else {
    xtp_after_fork_parent();
    if (pid > 0 && fork_id) {
      xtp_kid_add(pid, ctx->task_id);
      /* "fork child <pid>"; the number is written by hand, as stdio's
       * formatting would take a kilobyte of the caller's stack. */
      char label[32] = "fork child ";
      size_t n = sizeof "fork child " - 1;
      int nd = bg_dec_encode((uint64_t)pid, label + n);
      const char *val = label + n;
      n += (size_t)nd;
      xt_kv kv[] = {{"child_pid", val}};
      const char *tags[] = {"fork"};
      xt_event_info ev = {.agent = "process",
                          .label = label,
                          .label_len = n,
                          .caller = XTP_CALLER,
                          .kv = kv,
                          .nkv = 1,
                          .tags = tags,
                          .ntags = 1,
                          .event_id = fork_id};
      xtp_emit(&ev);
    }
  }
  if (traced)
    xtp_leave();
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

/* Scratch an exec or spawn of envp needs: its label, then its environment. */
static size_t child_bytes(char *const envp[]) { return XTP_SPAWN_LABEL + xtp_childenv_bytes(envp); }

/* The exec of a vfork child. Its pid is final and its parent's thread is
 * suspended until the exec, so it can name its exit the way a forked child's
 * is named: by the parent's key for its children, with its pid entered in the
 * parent's table of traced children (the parent's memory, written lock-free
 * as any thread of the parent could). The entry is taken back if the exec
 * fails, since the child then exits without recording anything. */
static int vfork_child_exec(enum exec_kind kind, int fd, const char *path, char *const argv[],
                            char *const envp[], int flags, void *mem) {
  if (!mem)
    mem = xtp_scratch(child_bytes(envp));
  if (!mem)
    return call_exec(kind, fd, path, argv, envp, flags);
  pid_t self = getpid();
  uint64_t task = envp && envp[0] ? xt_context_peek()->task_id : 0;
  if (task)
    xtp_kid_add(self, task);
  char **env =
      xtp_childenv_build((char *)mem + XTP_SPAWN_LABEL, envp, task ? xtp_exit_key_kids() : 0);
  int rc = call_exec(kind, fd, path, argv, env, flags);
  if (task) {
    int err = errno;
    xtp_kid_forget(self);
    errno = err;
  }
  return rc;
}

/* envp is what the program passes (the environ forms pass environ); mem is
 * scratch of child_bytes(envp), NULL to get it here.
 *
 * In a vfork child (a different pid running on the parent's memory and on the
 * parent's suspended thread) nothing is recorded or flushed: the buffers, the
 * reporter, the guard depth and the context are the parent's, and a
 * successful exec never returns to undo a change. The guard is released
 * before anything else; only the thread's scratch is written, which the
 * parent's thread, suspended, is not using. The context is still passed on,
 * so the new image joins the parent's task. */
static int do_exec(enum exec_kind kind, int fd, const char *path, char *const argv[],
                   char *const envp[], int flags, const void *caller, void *mem) {
  if (!xtp_enter(XTP_FAM_PROCESS))
    return call_exec(kind, fd, path, argv, envp, flags);
  if (!xtp_own_process()) {
    xtp_leave();
    return vfork_child_exec(kind, fd, path, argv, envp, flags, mem);
  }
  if (!mem)
    mem = xtp_scratch(child_bytes(envp));
  char **env = (char **)envp;
  if (mem) {
    xtp_thread_drain();
    /* A NULL or empty environment, or a thread with no task, takes the new
     * image out of the task: the exec event is then the last this process
     * records, and takes the ID the parent's wait will join. */
    bool leaves = !envp || !envp[0] || !xt_in_task();
    xtp_record_spawn("exec", path ? path : "(fd)", argv, caller, mem,
                     leaves ? xtp_exit_id_spend() : 0);
    xt_flush(EXEC_FLUSH_MS);
    env = xtp_childenv_build((char *)mem + XTP_SPAWN_LABEL, envp, xtp_exit_key_own());
  }
  int rc = call_exec(kind, fd, path, argv, env, flags);
  int err = errno;
  xtp_leave();
  errno = err;
  return rc;
}

XTP_HOOK int execve(const char *path, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_VE, -1, path, argv, envp, 0, XTP_CALLER, NULL);
}
XTP_HOOK int execv(const char *path, char *const argv[]) {
  return do_exec(EXEC_VE, -1, path, argv, environ, 0, XTP_CALLER, NULL);
}
XTP_HOOK int execvpe(const char *file, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_VPE, -1, file, argv, envp, 0, XTP_CALLER, NULL);
}
XTP_HOOK int execvp(const char *file, char *const argv[]) {
  return do_exec(EXEC_VPE, -1, file, argv, environ, 0, XTP_CALLER, NULL);
}
XTP_HOOK int fexecve(int fd, char *const argv[], char *const envp[]) {
  return do_exec(EXEC_FD, fd, NULL, argv, envp, 0, XTP_CALLER, NULL);
}
XTP_HOOK int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                      int flags) {
  return do_exec(EXEC_AT, dirfd, path, argv, envp, flags, XTP_CALLER, NULL);
}

/* execl, execlp, execle: the list becomes a vector, on the stack when short,
 * else in scratch ahead of what do_exec needs (exec only returns on failure,
 * so nothing needs freeing). */
#define SHORT_LIST 32

static int exec_list(enum exec_kind kind, const char *path, const char *arg0, va_list ap,
                     bool with_envp, const void *caller) {
  va_list aq;
  va_copy(aq, ap);
  size_t argc = 1;
  while (va_arg(aq, const char *))
    argc++;
  char *const *envp = with_envp ? va_arg(aq, char *const *) : environ;
  va_end(aq);
  char *small[SHORT_LIST];
  char **argv = small;
  void *mem = NULL;
  if (argc >= SHORT_LIST) {
    size_t vec = (argc + 1) * sizeof(char *);
    char *base = xtp_scratch(vec + child_bytes(envp));
    if (!base) {
      errno = ENOMEM;
      return -1;
    }
    argv = (char **)base;
    mem = base + vec;
  }
  argv[0] = (char *)arg0;
  for (size_t i = 1; i <= argc; i++)
    argv[i] = va_arg(ap, char *);
  return do_exec(kind, -1, path, argv, envp, 0, caller, mem);
}

/* The three list forms differ in the exec kind and in whether envp follows
 * the list; the va_list has to be started in each. */
XTP_HOOK int execl(const char *path, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  int rc = exec_list(EXEC_VE, path, arg, ap, false, XTP_CALLER);
  va_end(ap);
  return rc;
}
XTP_HOOK int execlp(const char *file, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  int rc = exec_list(EXEC_VPE, file, arg, ap, false, XTP_CALLER);
  va_end(ap);
  return rc;
}
XTP_HOOK int execle(const char *path, const char *arg, ...) {
  va_list ap;
  va_start(ap, arg);
  int rc = exec_list(EXEC_VE, path, arg, ap, true, XTP_CALLER);
  va_end(ap);
  return rc;
}

/* Records the spawn event and builds the child's environment in scratch.
 * Returns the envp to pass (envp itself when scratch cannot be had). */
static char **prepare_child(const char *what, char *const argv[], char *const envp[],
                            const void *caller) {
  void *mem = xtp_scratch(child_bytes(envp));
  if (!mem)
    return (char **)envp;
  xtp_record_spawn("spawn", what, argv, caller, mem, 0);
  return xtp_childenv_build((char *)mem + XTP_SPAWN_LABEL, envp, xtp_exit_key_kids());
}

/* A child started with a non-empty environment carries the task and will
 * record its exit under the ID our wait joins. */
static void started_child(pid_t pid, char *const env[]) {
  if (env && env[0])
    xtp_kid_add(pid, xt_context_peek()->task_id);
}

static int spawn(bool search, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
                 const void *caller) {
  posix_spawn_fn real = search ? REAL(posix_spawnp) : REAL(posix_spawn);
  if (!real)
    return ENOSYS;
  if (!xtp_enter(XTP_FAM_PROCESS))
    return real(pid, path, fa, attr, argv, envp);
  if (!xtp_own_process()) {
    xtp_leave();
    return real(pid, path, fa, attr, argv, envp);
  }
  /* The caller may pass NULL for pid; the child must still be remembered. */
  pid_t child = 0;
  int rc = real(&child, path, fa, attr, argv, prepare_child(path, argv, envp, caller));
  if (rc == 0) {
    started_child(child, envp);
    if (pid)
      *pid = child;
  }
  xtp_leave();
  return rc;
}

XTP_HOOK int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                         const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  return spawn(false, pid, path, fa, attr, argv, envp, XTP_CALLER);
}
XTP_HOOK int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  return spawn(true, pid, file, fa, attr, argv, envp, XTP_CALLER);
}

/* system() ----------------------------------------------------------------- */

static int sys_users;
static struct sigaction sys_saved_int, sys_saved_quit;

/* The real waitpid: the caller joins the child's exit itself. */
static int wait_child(pid_t pid, int *status) {
  waitpid_fn wp = REAL(waitpid);
  if (!wp)
    return xtp_enosys();
  while (wp(pid, status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

XTP_HOOK int system(const char *cmd) {
  system_fn real = REAL(system);
  if (!cmd || !xtp_enter(XTP_FAM_PROCESS)) {
    if (!real)
      return xtp_enosys();
    return real(cmd);
  }
  posix_spawn_fn spawn_real = REAL(posix_spawn);
  char *argv[] = {"sh", "-c", "--", (char *)cmd, NULL};
  char **env = prepare_child("/bin/sh", argv, environ, XTP_CALLER);

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

  pid_t pid;
  int status = -1;
  int rc = spawn_real ? spawn_real(&pid, "/bin/sh", NULL, &attr, argv, env) : ENOSYS;
  int err = 0;
  if (rc == 0) {
    started_child(pid, env);
    if (wait_child(pid, &status) < 0) {
      err = errno;
      status = -1;
    } else {
      xtp_kid_join(pid, WIFEXITED(status), true);
    }
  } else {
    status = W_EXITCODE(127, 0); /* what glibc returns when the shell cannot start */
  }
  posix_spawnattr_destroy(&attr);

  pthread_mutex_lock(&sys_lock);
  if (--sys_users == 0) {
    sigaction(SIGINT, &sys_saved_int, NULL);
    sigaction(SIGQUIT, &sys_saved_quit, NULL);
  }
  pthread_mutex_unlock(&sys_lock);
  sigprocmask(SIG_SETMASK, &omask, NULL);
  xtp_leave();
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

XTP_HOOK FILE *popen(const char *cmd, const char *mode) {
  popen_fn real = REAL(popen);
  posix_spawn_fn spawn_real = REAL(posix_spawn);
  bool reading = mode && mode[0] == 'r';
  bool writing = mode && mode[0] == 'w';
  if ((!reading && !writing) || !spawn_real || !xtp_enter(XTP_FAM_PROCESS)) {
    if (!real) {
      errno = ENOSYS;
      return NULL;
    }
    return real(cmd, mode);
  }
  bool cloexec = strchr(mode, 'e') != NULL;
  char *argv[] = {"sh", "-c", (char *)cmd, NULL};
  char **env = prepare_child("/bin/sh", argv, environ, XTP_CALLER);
  FILE *fp = NULL;
  popen_ent *ent = malloc(sizeof *ent);
  int fds[2];
  if (!ent || pipe2(fds, O_CLOEXEC) < 0) {
    int err = ent ? errno : ENOMEM;
    free(ent);
    xtp_leave();
    errno = err;
    return NULL;
  }
  int mine = reading ? fds[0] : fds[1], theirs = reading ? fds[1] : fds[0];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, theirs, reading ? 1 : 0);
  /* POSIX: the child must not keep other popen streams open. */
  pthread_mutex_lock(&popen_lock);
  for (popen_ent *e = popen_list; e; e = e->next)
    if (e->fd != (reading ? 1 : 0))
      posix_spawn_file_actions_addclose(&fa, e->fd);
  pid_t pid;
  int rc = spawn_real(&pid, "/bin/sh", &fa, NULL, argv, env);
  if (rc == 0)
    started_child(pid, env);
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
  xtp_leave();
  if (!fp)
    errno = err;
  return fp;
}

XTP_HOOK int pclose(FILE *fp) {
  pclose_fn real = REAL(pclose);
  if (!xtp_traced()) {
    if (!real)
      return xtp_enosys();
    return real(fp);
  }
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
    if (!real)
      return xtp_enosys();
    return real(fp);
  }
  fclose(fp);
  int status;
  int rc = wait_child(ent->pid, &status);
  int err = errno;
  if (rc == 0 && xtp_enter(XTP_FAM_PROCESS)) {
    xtp_kid_join(ent->pid, WIFEXITED(status), true);
    xtp_leave();
  }
  free(ent);
  errno = err;
  return rc < 0 ? -1 : status;
}

/* _exit skips exit handlers and destructors; a forked child usually leaves
 * this way, often from a signal handler, so its exit event is recorded here
 * with async-signal-safe means only. */
__attribute__((noreturn)) static void hook_exit(int status) {
  xtp_process_exit_now(status);
  _exit_fn real = REAL(_exit);
  if (real)
    real(status);
  syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

XTP_HOOK void _exit(int status) { hook_exit(status); }
XTP_HOOK void _Exit(int status) { hook_exit(status); }
