/*
 * The edge from a child process back to the parent that waits for it.
 *
 * Nothing travels back from a child: the parent names the child's exit event
 * before the child exists. Every process holds a random key for its
 * children; a child's exit event ID is derived from that key and the child's
 * pid, so the parent can compute it when wait returns the pid. A forked child
 * finds the key in its copy of the parent's memory, an exec'd or spawned one
 * in XTRACE_EXIT_KEY (exec passes on the key the process already had: the
 * pid, and so the waiter, stay the same). A stale key inherited by some
 * unrelated grandchild is harmless: with another pid it names another event.
 *
 * The parent joins only children it started traced, remembered in a small
 * table indexed by pid; a collision forgets the older child's edge, nothing
 * worse. Everything here is lock-free: wait is async-signal-safe and is
 * called from SIGCHLD handlers.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* The key this process's parent named our exit by (0: nobody will join it),
 * and the one we name our children's exits by. */
static uint64_t exit_key;
static uint64_t kids_key;
/* Set once the exit ID has gone to another event (an exec that leaves the
 * task), so that no two events share it. */
static bool exit_id_spent;

#define KIDS 256
static struct kid {
  pid_t pid;     /* 0: free */
  uint64_t task; /* the task the child started in */
} kids[KIDS];

/* splitmix64's finalizer: the key's randomness spread over every bit. */
static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

static uint64_t exit_id_for(uint64_t key, pid_t pid) {
  uint64_t id = mix(key ^ (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull) & BG_ID_MAX;
  return id ? id : 1;
}

void xtp_process_init(void) {
  exit_key = xtp_env_exit_key();
  kids_key = bg_id_fresh();
}

uint64_t xtp_exit_event_id(void) {
  if (!exit_key || __atomic_load_n(&exit_id_spent, __ATOMIC_RELAXED))
    return 0;
  return exit_id_for(exit_key, __atomic_load_n(&xtp_pid, __ATOMIC_RELAXED));
}

uint64_t xtp_exit_id_spend(void) {
  uint64_t id = xtp_exit_event_id();
  __atomic_store_n(&exit_id_spent, true, __ATOMIC_RELAXED);
  return id;
}

uint64_t xtp_exit_key_own(void) { return exit_key; }
uint64_t xtp_exit_key_kids(void) { return kids_key; }

/* In a fork child (one thread, nothing else running): we are now the child
 * our parent named by its key, and have no children of our own yet. */
void xtp_kids_after_fork_child(void) {
  exit_key = kids_key;
  kids_key = bg_id_fresh();
  exit_id_spent = false;
  for (size_t i = 0; i < KIDS; i++)
    kids[i].pid = 0;
}

/* The pid is cleared while the task is written, so a concurrent reader sees
 * either the old child, nobody, or the new one whole. */
void xtp_kid_add(pid_t pid, uint64_t task) {
  if (pid <= 0 || !task)
    return;
  struct kid *k = &kids[(unsigned)pid % KIDS];
  __atomic_store_n(&k->pid, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&k->task, task, __ATOMIC_RELEASE);
  __atomic_store_n(&k->pid, pid, __ATOMIC_RELEASE);
}

/* A child whose start failed after it was entered (a vfork child's exec). */
void xtp_kid_forget(pid_t pid) {
  pid_t expect = pid;
  __atomic_compare_exchange_n(&kids[(unsigned)pid % KIDS].pid, &expect, 0, false, __ATOMIC_ACQ_REL,
                              __ATOMIC_RELAXED);
}

/* The task of a child we started traced, or 0; forgotten once reaped. */
static uint64_t kid_find(pid_t pid, bool reaped) {
  struct kid *k = &kids[(unsigned)pid % KIDS];
  if (__atomic_load_n(&k->pid, __ATOMIC_ACQUIRE) != pid)
    return 0;
  uint64_t task = __atomic_load_n(&k->task, __ATOMIC_ACQUIRE);
  pid_t expect = pid;
  if (reaped)
    return __atomic_compare_exchange_n(&k->pid, &expect, 0, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED)
               ? task
               : 0;
  return __atomic_load_n(&k->pid, __ATOMIC_ACQUIRE) == pid ? task : 0;
}

/* A child that exited normally recorded its exit event under the ID we
 * derive here: the waiting thread's next event descends from it. The caller
 * holds the guard. */
void xtp_kid_join(pid_t pid, bool exited, bool reaped) {
  uint64_t task = kid_find(pid, reaped);
  if (!task || !exited)
    return;
  uint64_t id = exit_id_for(kids_key, pid);
  xt_join(task, &id, 1);
}

/* After a wait that returned pid: guard, join, errno kept. */
static void after_wait(pid_t pid, bool exited, bool reaped) {
  if (pid <= 0)
    return;
  int err = errno;
  if (xtp_enter(XTP_FAM_PROCESS)) {
    xtp_kid_join(pid, exited, reaped);
    xtp_leave();
  }
  errno = err;
}

/* The wait-status forms: untraced, a pure pass-through; traced, the status is
 * taken into a local st (the caller may pass NULL) and, once the real call
 * returned r, handed here to be copied out as the kernel would, only when a
 * child was returned. A stopped or continued child is neither exited nor
 * reaped. */
static pid_t wait_after(pid_t r, int st, int *status) {
  if (r > 0 && status)
    *status = st;
  after_wait(r, WIFEXITED(st), WIFEXITED(st) || WIFSIGNALED(st));
  return r;
}

/* The four forms differ only in their arguments: written out, the real call
 * and the status local read plainly (a macro hid both). */
XTP_HOOK pid_t wait(int *status) {
  wait_fn real = REAL(wait);
  if (!real)
    return xtp_enosys();
  if (!xtp_traced())
    return real(status);
  int st = 0;
  pid_t r = real(&st);
  return wait_after(r, st, status);
}

XTP_HOOK pid_t waitpid(pid_t pid, int *status, int options) {
  waitpid_fn real = REAL(waitpid);
  if (!real)
    return xtp_enosys();
  if (!xtp_traced())
    return real(pid, status, options);
  int st = 0;
  pid_t r = real(pid, &st, options);
  return wait_after(r, st, status);
}

XTP_HOOK pid_t wait3(int *status, int options, struct rusage *ru) {
  wait3_fn real = REAL(wait3);
  if (!real)
    return xtp_enosys();
  if (!xtp_traced())
    return real(status, options, ru);
  int st = 0;
  pid_t r = real(&st, options, ru);
  return wait_after(r, st, status);
}

XTP_HOOK pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru) {
  wait4_fn real = REAL(wait4);
  if (!real)
    return xtp_enosys();
  if (!xtp_traced())
    return real(pid, status, options, ru);
  int st = 0;
  pid_t r = real(pid, &st, options, ru);
  return wait_after(r, st, status);
}

XTP_HOOK int waitid(idtype_t type, id_t id, siginfo_t *info, int options) {
  waitid_fn real = REAL(waitid);
  if (!real)
    return xtp_enosys();
  int r = real(type, id, info, options);
  /* WNOHANG with no child ready leaves si_pid 0. */
  if (r == 0 && info && info->si_pid > 0 && xtp_traced()) {
    int code = info->si_code;
    bool exited = code == CLD_EXITED;
    after_wait(info->si_pid, exited,
               (exited || code == CLD_KILLED || code == CLD_DUMPED) && !(options & WNOWAIT));
  }
  return r;
}
