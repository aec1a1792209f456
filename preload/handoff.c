/*
 * Hand-offs: a wake-up through a condition variable or a semaphore carries
 * the waker's context to the thread it wakes. The waker leaves its task and
 * parents in a table keyed by the object's address; the woken thread, once
 * its wait has returned because of a wake-up, takes them:
 *   - same task as its own: it joins them (Thread.join in CPython, a result
 *     handed back to a waiting request);
 *   - it has no task (a pool thread of a library, or one that has put its
 *     last job down): it adopts them, and drops them again when it next
 *     waits on the object it adopted from (the pool's queue);
 *   - another task: it leaves its context alone, so two requests that only
 *     share a lock stay separate.
 *
 * Which waits count as satisfied by a wake-up:
 *   - semaphores: a sem_wait/timedwait/clockwait that returns 0 or a sem_trywait
 *     that returns 0 took one post; ETIMEDOUT, EAGAIN, EINTR take nothing;
 *   - condition variables: a wait that returns 0 and finds a deposit on the
 *     object made after the wait began; a wait that returns ETIMEDOUT takes
 *     nothing, and neither does a spurious return (no deposit since the wait
 *     began) nor a signal sent while nobody waited (it is older than the wait).
 *
 * Work taken without a wait: a pool worker that comes back from a job and
 * finds the next one queued takes it without waiting, so no wake-up marks
 * it. A condition variable's queue is only ever taken from in a critical
 * section on the mutex its waiters wait with, so a thread that has waited
 * on condition c with mutex m is a consumer of c, and the end of any of its
 * critical sections on m (pthread_mutex_unlock) takes the oldest deposit on
 * c left by another thread, unless it already took one when its wait
 * returned in that section. An adopted job is put down first (the worker
 * is between jobs). Other threads' unlocks, and a consumer's of other
 * mutexes, pay one thread-local compare.
 *
 * Competing wakers: each signal/post leaves one deposit that exactly one
 * taker can claim; a taker claims the oldest unclaimed one (FIFO, the order
 * queues hand out work in). A waiter that enters a wait holds the mutex and
 * has found the queue empty, so the signal deposits still unclaimed on its
 * condition belong to work already taken (or to none); they are dropped
 * then. When the signals are sent under the mutex, deposits and takes are
 * both ordered by it and each job gets its own submitter's deposit; a
 * notify sent after the unlock (std::condition_variable's usual idiom) can
 * reach the table after a worker has taken its job, and that job gets none
 * (BENCHMARKS.md: how often under load). A broadcast leaves a deposit
 * every thread woken after it reads, used when no signal deposit is
 * waiting; it is never taken at an unlock.
 *
 * The table is bounded (HO_BUCKETS x HO_WAYS entries) and written without
 * locks or allocation; an entry is a seqlock whose low bits also mark it
 * claimed, so a claim and a rewrite cannot both win. A deposit that finds its
 * bucket busy is dropped: the wake-up then carries nothing.
 *
 * Only task and parents travel, not baggage items: an entry must stay a few
 * cache lines for the waker's path to stay cheap. A fork that lands while
 * another thread writes an entry leaves it marked as being written in the
 * child; that entry is skipped there, the other three of its bucket serve.
 *
 * The hooks are the default-version symbols (pthread_cond_*@@GLIBC_2.3.2);
 * the real ones are looked up by that version (xtp_real_vsym), since dlsym
 * is not bound to return it over the old GLIBC_2.2.5 condition variables. A binary linked against those (built
 * before glibc 2.3.2) would reach the new ones through these hooks.
 */
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "internal.h"

#define HO_BUCKETS 1024
#define HO_WAYS 4
#define HO_PARENTS 4

/* seq: bit 0 set while a waker writes the entry, bit 1 set once a woken
 * thread has claimed it; the rest counts rewrites. */
#define SEQ_WRITING 1u
#define SEQ_CLAIMED 2u
#define SEQ_STEP 4u

enum { KIND_ONE = 1, KIND_ALL = 2 };

typedef struct ho_entry {
  uint32_t seq;
  uint32_t kind;
  uintptr_t key;
  uint64_t stamp;
  uint64_t task;
  int32_t tid; /* the waker, so a thread does not take back its own deposit */
  uint32_t nparents;
  uint64_t parents[HO_PARENTS];
} __attribute__((aligned(64))) ho_entry;

static ho_entry table[HO_BUCKETS][HO_WAYS];
/* Orders deposits against the start of condition waits. */
static uint64_t ho_clock;

/* The object this thread adopted its context from, 0 if none. */
static XTP_TLS uintptr_t adopted_from;

/* A copy of an entry taken consistently. */
typedef struct ho_snap {
  uint32_t seq;
  uint32_t kind;
  uint64_t stamp;
  uint64_t task;
  int32_t tid;
  uint32_t nparents;
  uint64_t parents[HO_PARENTS];
} ho_snap;

static ho_entry *bucket(const void *obj) {
  uintptr_t k = (uintptr_t)obj;
  k ^= k >> 17;
  k *= 0x9e3779b97f4a7c15ull;
  return table[(k >> 32) % HO_BUCKETS];
}

/* These hooks are reached from libc's and the dynamic linker's internals
 * before the constructor, and a wait must not start the reporter. */
static bool ho_enter(void) { return xtp_enter_running(XTP_FAM_HANDOFF); }

/* The waker's side: called before the real signal/post, so the deposit is
 * visible by the time the woken thread runs. A thread without a task
 * deposits too (an empty one): its post must not hand an older waker's
 * context to the thread it wakes. */
static void deposit(const void *obj, uint32_t kind) {
  const bg_context *ctx = xt_context();
  ho_entry *b = bucket(obj);
  uintptr_t key = (uintptr_t)obj;
  /* Reuse an empty or claimed entry, else the oldest: a deposit still to be
   * claimed goes only when all four are, so another object's burst cannot
   * push it out before older ones. Racing wakers that pick the same entry
   * are settled by the CAS; the loser tries the others in turn and gives up
   * after one round. */
  int first = 0;
  uint64_t oldest = UINT64_MAX;
  for (int i = 0; i < HO_WAYS; i++) {
    uint32_t s = __atomic_load_n(&b[i].seq, __ATOMIC_RELAXED);
    uint64_t age =
        (s == 0 || (s & SEQ_CLAIMED)) ? 0 : __atomic_load_n(&b[i].stamp, __ATOMIC_RELAXED);
    if (age < oldest) {
      oldest = age;
      first = i;
      if (age == 0)
        break;
    }
  }
  for (int i = 0; i < HO_WAYS; i++) {
    ho_entry *e = &b[(first + i) % HO_WAYS];
    uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
    if (s & SEQ_WRITING)
      continue;
    if (!__atomic_compare_exchange_n(&e->seq, &s, s | SEQ_WRITING, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
      continue;
    uint64_t stamp = __atomic_add_fetch(&ho_clock, 1, __ATOMIC_RELAXED);
    uint32_t np = ctx->task_id ? ctx->nparents : 0;
    if (np > HO_PARENTS)
      np = HO_PARENTS; /* after any event it is 1; more only between a join and the next event */
    __atomic_store_n(&e->kind, kind, __ATOMIC_RELAXED);
    __atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
    __atomic_store_n(&e->stamp, stamp, __ATOMIC_RELAXED);
    __atomic_store_n(&e->task, ctx->task_id, __ATOMIC_RELAXED);
    __atomic_store_n(&e->tid, xt_thread_id(), __ATOMIC_RELAXED);
    __atomic_store_n(&e->nparents, np, __ATOMIC_RELAXED);
    for (uint32_t k = 0; k < np; k++)
      __atomic_store_n(&e->parents[k], ctx->parents[k], __ATOMIC_RELAXED);
    __atomic_store_n(&e->seq, (s & ~(SEQ_WRITING | SEQ_CLAIMED)) + SEQ_STEP, __ATOMIC_RELEASE);
    return;
  }
}

static bool snap_read(ho_entry *e, uintptr_t key, ho_snap *out) {
  uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
  if ((s & SEQ_WRITING) || s == 0 || __atomic_load_n(&e->key, __ATOMIC_ACQUIRE) != key)
    return false;
  out->seq = s;
  out->kind = __atomic_load_n(&e->kind, __ATOMIC_ACQUIRE);
  out->stamp = __atomic_load_n(&e->stamp, __ATOMIC_ACQUIRE);
  out->task = __atomic_load_n(&e->task, __ATOMIC_ACQUIRE);
  out->tid = __atomic_load_n(&e->tid, __ATOMIC_ACQUIRE);
  out->nparents = __atomic_load_n(&e->nparents, __ATOMIC_ACQUIRE);
  if (out->nparents > HO_PARENTS)
    return false;
  for (uint32_t k = 0; k < out->nparents; k++)
    out->parents[k] = __atomic_load_n(&e->parents[k], __ATOMIC_ACQUIRE);
  /* The fields are read with acquire loads rather than relaxed ones and a
   * fence (which TSan does not model; on x86 both are plain loads), so the
   * sequence number below is read after them: a rewrite in between shows
   * as a changed number and the copy is dropped. */
  return (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) & ~SEQ_CLAIMED) == (s & ~SEQ_CLAIMED);
}

/* The taker's side: the oldest unclaimed signal/post deposit on obj newer
 * than since (and, if others_only, not this thread's own), claimed; else,
 * if broadcasts is set, the newest broadcast newer than since. False if
 * there is none. */
static bool claim(const void *obj, uint64_t since, bool others_only, bool broadcasts,
                  ho_snap *out) {
  ho_entry *b = bucket(obj);
  uintptr_t key = (uintptr_t)obj;
  int32_t self = others_only ? xt_thread_id() : 0;
  for (int attempt = 0; attempt < HO_WAYS; attempt++) {
    int one = -1, all = -1;
    ho_snap snaps[HO_WAYS];
    for (int i = 0; i < HO_WAYS; i++) {
      if (!snap_read(&b[i], key, &snaps[i]) || snaps[i].stamp <= since)
        continue;
      if (others_only && snaps[i].tid == self)
        continue;
      if (snaps[i].kind == KIND_ONE && !(snaps[i].seq & SEQ_CLAIMED)) {
        if (one < 0 || snaps[i].stamp < snaps[one].stamp)
          one = i;
      } else if (broadcasts && snaps[i].kind == KIND_ALL) {
        if (all < 0 || snaps[i].stamp > snaps[all].stamp)
          all = i;
      }
    }
    if (one >= 0) {
      uint32_t s = snaps[one].seq;
      if (__atomic_compare_exchange_n(&b[one].seq, &s, s | SEQ_CLAIMED, false, __ATOMIC_ACQ_REL,
                                      __ATOMIC_RELAXED)) {
        *out = snaps[one];
        return true;
      }
      continue; /* claimed by another thread or rewritten: look again */
    }
    if (all >= 0) {
      *out = snaps[all];
      return true;
    }
    return false;
  }
  return false;
}

/* Before a wait: a thread that adopted a job's context from this object is
 * back for the next job, so it puts the job's context down. */
static void before_wait(const void *obj) {
  if (adopted_from != (uintptr_t)obj)
    return;
  adopted_from = 0;
  bg_context *ctx = xt_context();
  ctx->task_id = 0;
  ctx->nparents = 0;
}

/* Set on a thread that runs gRPC's callback functors. */
static XTP_TLS bool grpcs_thread;

void xtp_handoff_thread_is_grpcs(void) {
  if (grpcs_thread)
    return;
  grpcs_thread = true;
  if (adopted_from) {
    adopted_from = 0;
    bg_context *ctx = xt_context();
    ctx->task_id = 0;
    ctx->nparents = 0;
  }
}

static void take(const void *obj, const ho_snap *d) {
  if (!d->task || d->tid == xt_thread_id())
    return;
  bg_context *ctx = xt_context();
  if (ctx->task_id == 0) {
    if (grpcs_thread)
      return;
    xt_join(d->task, d->parents, d->nparents);
    if (d->nparents == 0) { /* xt_join ignores an empty set; the task still comes */
      ctx->task_id = d->task;
      ctx->nparents = 0;
    }
    adopted_from = (uintptr_t)obj;
  } else if (ctx->task_id == d->task) {
    xt_join(d->task, d->parents, d->nparents);
  }
}

/* Waker hooks -------------------------------------------------------------- */

/* signal and broadcast: the deposit first, so the woken thread finds it. */
static int cond_wake(pthread_cond_signal_fn real, pthread_cond_t *c, int kind) {
  if (!real)
    return ENOSYS;
  if (ho_enter()) {
    deposit(c, kind);
    xtp_leave();
  }
  return real(c);
}

XTP_HOOK int pthread_cond_signal(pthread_cond_t *c) {
  return cond_wake(REALV(pthread_cond_signal, "GLIBC_2.3.2"), c, KIND_ONE);
}

XTP_HOOK int pthread_cond_broadcast(pthread_cond_t *c) {
  return cond_wake(REALV(pthread_cond_broadcast, "GLIBC_2.3.2"), c, KIND_ALL);
}

XTP_HOOK int sem_post(sem_t *s) {
  sem_post_fn real = REAL(sem_post);
  if (!real)
    return xtp_enosys();
  if (ho_enter()) {
    int saved = errno;
    deposit(s, KIND_ONE);
    errno = saved;
    xtp_leave();
  }
  return real(s);
}

/* Woken hooks -------------------------------------------------------------- */

/* The pair this thread last waited on, the queue it consumes: its critical
 * sections on that mutex are where it takes work from that condition. */
static XTP_TLS uintptr_t waited_cond, waited_mutex;
/* It took a deposit on waited_cond since it last entered a wait or ended a
 * critical section on waited_mutex: the end of the section takes no other. */
static XTP_TLS bool section_took;

/* At the start of a wait the waiter holds the mutex and has found nothing
 * to take (its predicate is false), so every signal deposit on the
 * condition up to now belongs to work already taken, or to none: a
 * critical section that took work without taking its deposit, or a signal
 * nobody waited for. They are marked claimed so that they cannot be handed
 * to later work. */
static void drop_stale(const void *obj, uint64_t upto) {
  ho_entry *b = bucket(obj);
  uintptr_t key = (uintptr_t)obj;
  for (int i = 0; i < HO_WAYS; i++) {
    ho_snap d;
    if (!snap_read(&b[i], key, &d) || d.kind != KIND_ONE || (d.seq & SEQ_CLAIMED) || d.stamp > upto)
      continue;
    uint32_t s = d.seq;
    __atomic_compare_exchange_n(&b[i].seq, &s, s | SEQ_CLAIMED, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
  }
}

/* The guard is left before the real wait: a wait is a cancellation point,
 * and a thread cancelled inside it must not stay marked as inside the
 * library. */
static bool cond_before(pthread_cond_t *c, pthread_mutex_t *m, uint64_t *since) {
  if (!ho_enter())
    return false;
  before_wait(c);
  waited_cond = (uintptr_t)c;
  waited_mutex = (uintptr_t)m;
  section_took = false;
  *since = __atomic_load_n(&ho_clock, __ATOMIC_RELAXED);
  drop_stale(c, *since);
  xtp_leave();
  return true;
}

static void cond_after(pthread_cond_t *c, uint64_t since, int rc) {
  if (rc != 0 || !ho_enter())
    return;
  ho_snap d;
  if (claim(c, since, true, true, &d)) {
    take(c, &d);
    section_took = true;
  }
  xtp_leave();
}

/* The end of a critical section on the mutex this thread last waited with:
 * a worker that found work queued took it here without waiting, so the
 * oldest deposit on its condition is its job's. Critical sections are
 * serialised by the mutex, so when the signals are sent under it as well
 * the deposits are taken in the order the queue hands out the work. */
static void section_end(void) {
  if (section_took) {
    section_took = false;
    return;
  }
  if (!waited_cond || !ho_enter())
    return;
  int saved = errno;
  const void *c = (const void *)waited_cond;
  ho_snap d;
  if (claim(c, 0, true, false, &d)) {
    before_wait(c); /* the job it adopted before this one is done */
    take(c, &d);
  }
  errno = saved;
  xtp_leave();
}

/* Every unlock of the process comes through here; a thread that never waited
 * on a condition with this mutex pays a thread-local compare. */
XTP_HOOK int pthread_mutex_unlock(pthread_mutex_t *m) {
  pthread_mutex_unlock_fn real = REAL_FAST(pthread_mutex_unlock);
  if (!real)
    return ENOSYS;
  if (__builtin_expect(waited_mutex == (uintptr_t)m, 0))
    section_end();
  return real(m);
}

XTP_HOOK int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  pthread_cond_wait_fn real = REALV(pthread_cond_wait, "GLIBC_2.3.2");
  if (!real)
    return ENOSYS;
  uint64_t since;
  if (!cond_before(c, m, &since))
    return real(c, m);
  int rc = real(c, m);
  cond_after(c, since, rc);
  return rc;
}

XTP_HOOK int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                    const struct timespec *abstime) {
  pthread_cond_timedwait_fn real = REALV(pthread_cond_timedwait, "GLIBC_2.3.2");
  if (!real)
    return ENOSYS;
  uint64_t since;
  if (!cond_before(c, m, &since))
    return real(c, m, abstime);
  int rc = real(c, m, abstime);
  cond_after(c, since, rc);
  return rc;
}

XTP_HOOK int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime) {
  pthread_cond_clockwait_fn real = REAL(pthread_cond_clockwait);
  if (!real)
    return ENOSYS;
  uint64_t since;
  if (!cond_before(c, m, &since))
    return real(c, m, clock, abstime);
  int rc = real(c, m, clock, abstime);
  cond_after(c, since, rc);
  return rc;
}

static bool sem_before(sem_t *s) {
  if (!ho_enter())
    return false;
  before_wait(s);
  xtp_leave();
  return true;
}

/* Semaphore waits report failure through errno, which the caller must see
 * as the real call left it. */
static void sem_after(sem_t *s, int rc) {
  if (rc != 0 || !ho_enter())
    return;
  int saved = errno;
  ho_snap d;
  if (claim(s, 0, false, false, &d))
    take(s, &d);
  errno = saved;
  xtp_leave();
}

/* The semaphore waits: sem_before, the real call, sem_after, alike but for
 * their arguments (the shape of the socket hooks, sockets.c). */
XTP_HOOK int sem_wait(sem_t *s) {
  sem_wait_fn real = REAL(sem_wait);
  if (!real)
    return xtp_enosys();
  if (!sem_before(s))
    return real(s);
  int rc = real(s);
  sem_after(s, rc);
  return rc;
}

XTP_HOOK int sem_timedwait(sem_t *s, const struct timespec *abstime) {
  sem_timedwait_fn real = REAL(sem_timedwait);
  if (!real)
    return xtp_enosys();
  if (!sem_before(s))
    return real(s, abstime);
  int rc = real(s, abstime);
  sem_after(s, rc);
  return rc;
}

XTP_HOOK int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime) {
  sem_clockwait_fn real = REAL(sem_clockwait);
  if (!real)
    return xtp_enosys();
  if (!sem_before(s))
    return real(s, clock, abstime);
  int rc = real(s, clock, abstime);
  sem_after(s, rc);
  return rc;
}

/* A trywait that fails took no post; one that succeeds did, as a wait would.
 * It does not put an adopted job down: polling is not waiting for work. */
XTP_HOOK int sem_trywait(sem_t *s) {
  sem_trywait_fn real = REAL(sem_trywait);
  if (!real)
    return xtp_enosys();
  int rc = real(s);
  sem_after(s, rc);
  return rc;
}
