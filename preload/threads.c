/*
 * Threads: a child starts with its creator's context (a branch), and the
 * joiner merges the child's last events back (a join). A record per traced
 * thread carries the context in and the final parents out; a table keyed by
 * pthread_t lets pthread_join/pthread_detach find it.
 */
#include <dlfcn.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { REC_RUNNING, REC_EXITED, REC_DETACHED };

typedef struct thread_rec {
  struct thread_rec *next; /* hash chain */
  pthread_t tid;
  int state; /* REC_*, under table_lock */
  bool in_table;
  void *(*fn)(void *);
  void *arg;
  char name[16]; /* set by another thread's pthread_setname_np */
  int name_gen;  /* bumped with name; the thread applies it lazily */
  uint64_t task; /* the thread's last task and parents, at exit */
  uint32_t nparents;
  uint64_t parents[BG_MAX_PARENTS];
  bg_context start; /* the creator's context at creation */
} thread_rec;

#define TABLE_SIZE 1024
static thread_rec *table[TABLE_SIZE];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static XTP_TLS thread_rec *self_rec;
static XTP_TLS int self_name_gen;

static size_t slot(pthread_t t) { return ((uintptr_t)t >> 6) % TABLE_SIZE; }

static void table_insert(thread_rec *r) {
  size_t i = slot(r->tid);
  r->next = table[i];
  table[i] = r;
  r->in_table = true;
}

static thread_rec *table_find(pthread_t t, bool remove) {
  thread_rec **pp = &table[slot(t)];
  for (; *pp; pp = &(*pp)->next) {
    thread_rec *r = *pp;
    if (pthread_equal(r->tid, t)) {
      if (remove) {
        *pp = r->next;
        r->in_table = false;
      }
      return r;
    }
  }
  return NULL;
}

/* The fork protocol (common.c) holds the lock across the real fork so the
 * child's copy of the table is consistent. */
void xtp_threads_before_fork(void) { pthread_mutex_lock(&table_lock); }
void xtp_threads_after_fork_parent(void) { pthread_mutex_unlock(&table_lock); }
void xtp_threads_after_fork_child(void) { pthread_mutex_init(&table_lock, NULL); }

/* Threads started by excluded libraries (gRPC's pollers and executors by
 * default) carry no task: their start routine's object decides. The last
 * answer is cached per creating thread, as libraries create threads from a
 * few start routines over and over. */
static bool excluded(void *(*fn)(void *)) {
  static XTP_TLS void *last_fn;
  static XTP_TLS bool last_answer;
  if ((void *)fn == last_fn)
    return last_answer;
  bool ex = false;
  const char *path;
  if (xtp_cfg.exclude_libs[0] && xtp_object_of((void *)fn, &path) && path[0]) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char pat[sizeof xtp_cfg.exclude_libs];
    memcpy(pat, xtp_cfg.exclude_libs, sizeof pat);
    for (char *save, *p = strtok_r(pat, ",:", &save); p && !ex; p = strtok_r(NULL, ",:", &save))
      ex = fnmatch(p, base, 0) == 0;
  }
  last_fn = (void *)fn;
  last_answer = ex;
  return ex;
}

/* The thread's end, reached once: from the trampoline's return, from
 * pthread_exit, or from the cancellation cleanup. Partial lines become events,
 * then the final parents are handed to whoever joins. */
static void thread_finish(void *unused) {
  (void)unused;
  thread_rec *r = self_rec;
  if (!r)
    return;
  self_rec = NULL;
  xtp_depth++;
  xtp_thread_drain();
  const bg_context *ctx = xt_context_peek();
  r->task = ctx->task_id;
  r->nparents = ctx->nparents;
  memcpy(r->parents, ctx->parents, sizeof r->parents[0] * ctx->nparents);
  pthread_mutex_lock(&table_lock);
  bool free_it = r->state == REC_DETACHED;
  if (free_it && r->in_table)
    table_find(r->tid, true);
  if (!free_it)
    r->state = REC_EXITED;
  pthread_mutex_unlock(&table_lock);
  if (free_it)
    free(r);
  xtp_depth--;
}

static void *trampoline(void *p) {
  thread_rec *r = p;
  xtp_depth++;
  self_rec = r;
  xt_context_set(&r->start);
  void *(*fn)(void *) = r->fn;
  void *arg = r->arg;
  xtp_depth--;
  void *ret;
  pthread_cleanup_push(thread_finish, NULL);
  ret = fn(arg);
  pthread_cleanup_pop(1);
  return ret;
}

XTP_HOOK int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                            void *arg) {
  pthread_create_fn real = REAL(pthread_create);
  if (!real)
    return ENOSYS;
  if (!xtp_enter(XTP_FAM_THREADS))
    return real(thread, attr, fn, arg);
  thread_rec *r = NULL;
  if (xt_in_task() && !excluded(fn))
    r = malloc(sizeof *r);
  if (!r) {
    xtp_leave();
    return real(thread, attr, fn, arg);
  }
  memset(r, 0, offsetof(thread_rec, start));
  r->fn = fn;
  r->arg = arg;
  bg_context_copy(&r->start, xt_context_peek());
  int detach = PTHREAD_CREATE_JOINABLE;
  if (attr)
    pthread_attr_getdetachstate(attr, &detach);
  r->state = detach == PTHREAD_CREATE_DETACHED ? REC_DETACHED : REC_RUNNING;
  int rc;
  if (r->state == REC_DETACHED) {
    /* Nobody can join it: the child frees its record and the creator must not
     * touch it once the thread runs. */
    rc = real(thread, attr, trampoline, r);
  } else {
    /* Holding the lock across the real call makes the record findable before
     * anyone (the child itself included) can detach or join the thread. */
    pthread_mutex_lock(&table_lock);
    rc = real(thread, attr, trampoline, r);
    if (rc == 0) {
      r->tid = *thread;
      table_insert(r);
    }
    pthread_mutex_unlock(&table_lock);
  }
  if (rc != 0)
    free(r);
  xtp_leave();
  return rc;
}

/* Drops joiner parents the child descends from (its start parents, when it
 * recorded anything), then merges the child's last parents: the joiner's next
 * event becomes the join node with exactly the joined branches as parents. */
static void join_record(thread_rec *r) {
  if (!r->task || !r->nparents)
    return;
  bg_context *ctx = xt_context();
  if (ctx->task_id && ctx->task_id != r->task)
    return; /* joined across tasks: no causal edge to draw */
  bool child_recorded =
      !(r->nparents == r->start.nparents &&
        memcmp(r->parents, r->start.parents, sizeof r->parents[0] * r->nparents) == 0);
  if (!child_recorded)
    return;
  if (ctx->task_id == r->task) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < ctx->nparents; i++)
      if (!bg_parents_contains(&r->start, ctx->parents[i]))
        ctx->parents[k++] = ctx->parents[i];
    ctx->nparents = k;
  }
  xt_join(r->task, r->parents, r->nparents);
}

/* Always looks the record up, traced or not, so it is freed either way. */
static void after_join(pthread_t t, int rc) {
  if (rc != 0)
    return;
  pthread_mutex_lock(&table_lock);
  thread_rec *r = table_find(t, true);
  pthread_mutex_unlock(&table_lock);
  if (!r)
    return;
  if (xtp_enter(XTP_FAM_THREADS)) {
    join_record(r);
    xtp_leave();
  }
  free(r);
}

/* The join forms: the real call, then after_join; alike but for their
 * arguments. */
XTP_HOOK int pthread_join(pthread_t t, void **ret) {
  pthread_join_fn real = REAL(pthread_join);
  if (!real)
    return ENOSYS;
  int rc = real(t, ret);
  after_join(t, rc);
  return rc;
}

XTP_HOOK int pthread_tryjoin_np(pthread_t t, void **ret) {
  pthread_tryjoin_np_fn real = REAL(pthread_tryjoin_np);
  if (!real)
    return ENOSYS;
  int rc = real(t, ret);
  after_join(t, rc);
  return rc;
}

XTP_HOOK int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime) {
  pthread_timedjoin_np_fn real = REAL(pthread_timedjoin_np);
  if (!real)
    return ENOSYS;
  int rc = real(t, ret, abstime);
  after_join(t, rc);
  return rc;
}

XTP_HOOK int pthread_detach(pthread_t t) {
  pthread_detach_fn real = REAL(pthread_detach);
  if (!real)
    return ENOSYS;
  int rc = real(t);
  if (rc != 0)
    return rc;
  pthread_mutex_lock(&table_lock);
  thread_rec *r = table_find(t, false);
  bool free_it = false;
  if (r) {
    if (r->state == REC_EXITED) {
      table_find(t, true);
      free_it = true;
    } else {
      r->state = REC_DETACHED;
    }
  }
  pthread_mutex_unlock(&table_lock);
  if (free_it)
    free(r);
  return rc;
}

XTP_HOOK void pthread_exit(void *ret) {
  pthread_exit_fn real = REAL(pthread_exit);
  if (self_rec) {
    thread_finish(NULL);
  } else if (xtp_enter(XTP_FAM_THREADS)) {
    xtp_thread_drain();
    xtp_leave();
  }
  if (real)
    real(ret);
  abort(); /* pthread_exit cannot fail; without the real one there is no way out */
}

XTP_HOOK int pthread_setname_np(pthread_t t, const char *name) {
  pthread_setname_np_fn real = REAL(pthread_setname_np);
  if (!real)
    return ENOSYS;
  int rc = real(t, name);
  if (rc != 0 || !xtp_enter(XTP_FAM_THREADS))
    return rc;
  if (pthread_equal(t, pthread_self())) {
    xt_thread_set_name(name);
  } else {
    /* The client caches names per calling thread, so a name set from outside
     * is parked in the record and applied by the thread at its next event. */
    pthread_mutex_lock(&table_lock);
    thread_rec *r = table_find(t, false);
    if (r) {
      __atomic_add_fetch(&r->name_gen, 1, __ATOMIC_ACQ_REL);
      size_t n = strnlen(name, sizeof r->name - 1);
      for (size_t i = 0; i < sizeof r->name; i++)
        __atomic_store_n(&r->name[i], i < n ? name[i] : '\0', __ATOMIC_RELAXED);
      __atomic_add_fetch(&r->name_gen, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&table_lock);
  }
  xtp_leave();
  return rc;
}

void xtp_thread_sync_name(void) {
  thread_rec *r = self_rec;
  if (!r)
    return;
  int gen = __atomic_load_n(&r->name_gen, __ATOMIC_ACQUIRE);
  if (gen == self_name_gen || (gen & 1)) /* odd: a rename is being written */
    return;
  /* No lock: this runs on the event path, which may be a signal handler. A
   * rename racing with the copy shows as a changed generation; the copy is
   * then discarded and retried at the next event. */
  char name[sizeof r->name];
  for (size_t i = 0; i < sizeof name; i++)
    name[i] = __atomic_load_n(&r->name[i], __ATOMIC_RELAXED);
  name[sizeof name - 1] = '\0';
  if (__atomic_load_n(&r->name_gen, __ATOMIC_ACQUIRE) != gen)
    return;
  self_name_gen = gen;
  xt_thread_set_name(name);
}
