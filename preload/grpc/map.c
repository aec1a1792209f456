/*
 * The gRPC shim's tables: calls by pointer, outstanding tags by (queue, tag),
 * method paths by registration handle, and the queues that deliver
 * completions by calling functors. Each is a chained
 * hash whose buckets are guarded by one of a few striped locks; every
 * operation copies in or out and drops the lock before returning, so no shim
 * lock is ever held across a real gRPC call or application code.
 *
 * Call and tag pointers are reused by gRPC and the application: a tag entry
 * is removed when its completion is seen, a call record when the
 * application's last reference goes (grpc_call_unref is mirrored).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/shim.h"

#define NBUCKETS 4096
#define NSTRIPES 64

/* A stripe is held for a few loads and stores (a chain walk, a copy of a
 * record), some ten times per call in each process: a spin lock, whose
 * uncontended lock and unlock are one atomic operation each, where a mutex
 * pair cost about 45 instructions. A waiter yields the CPU between looks,
 * since the holder may have been preempted. One per cache line. */
typedef struct stripe {
  _Alignas(64) int held;
} stripe;
static stripe stripes[NSTRIPES];

static size_t hash2(const void *a, const void *b) {
  uint64_t x = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)b;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 32;
  return (size_t)(x % NBUCKETS);
}

static int *lock_for(size_t bucket) { return &stripes[bucket % NSTRIPES].held; }

static void stripe_lock(int *held) {
  while (__atomic_exchange_n(held, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(held, __ATOMIC_RELAXED))
      sched_yield();
}

static void stripe_unlock(int *held) { __atomic_store_n(held, 0, __ATOMIC_RELEASE); }

/* Snapshots ---------------------------------------------------------------- */

void xtp_gsnap_take(xtp_gsnap *s, const bg_context *ctx) {
  s->task = ctx->task_id;
  s->nparents = ctx->nparents;
  memcpy(s->parents, ctx->parents, sizeof s->parents[0] * ctx->nparents);
  if (ctx->items.count) {
    if (!s->items)
      s->items = malloc(sizeof *s->items);
    if (s->items)
      memcpy(s->items, &ctx->items, sizeof *s->items);
  } else if (s->items) {
    free(s->items);
    s->items = NULL;
  }
}

void xtp_gsnap_put(const xtp_gsnap *s, bg_context *ctx) {
  ctx->task_id = s->task;
  ctx->nparents = s->nparents;
  memcpy(ctx->parents, s->parents, sizeof s->parents[0] * s->nparents);
  if (s->items)
    memcpy(&ctx->items, s->items, sizeof ctx->items);
  else if (ctx->items.count)
    bg_items_clear(&ctx->items);
}

void xtp_gsnap_copy(xtp_gsnap *dst, const xtp_gsnap *src) {
  dst->task = src->task;
  dst->nparents = src->nparents;
  memcpy(dst->parents, src->parents, sizeof dst->parents[0] * src->nparents);
  dst->items = NULL;
  if (src->items && (dst->items = malloc(sizeof *dst->items)))
    memcpy(dst->items, src->items, sizeof *dst->items);
}

void xtp_gsnap_free(xtp_gsnap *s) {
  free(s->items);
  s->items = NULL;
}

/* Outstanding tags --------------------------------------------------------- */

static xtp_gtag *tags[NBUCKETS];

int xtp_gtag_put(const xtp_gtag *t) {
  xtp_gtag *e = malloc(sizeof *e);
  if (!e)
    return -ENOMEM;
  *e = *t;
  size_t b = hash2(t->cq, t->tag);
  stripe_lock(lock_for(b));
  /* A stale entry for the same (queue, tag) belongs to a batch whose
   * completion went by unseen (a queue drained by something we do not
   * hook): the new one replaces it. */
  for (xtp_gtag **pp = &tags[b]; *pp; pp = &(*pp)->next) {
    if ((*pp)->cq == t->cq && (*pp)->tag == t->tag) {
      xtp_gtag *old = *pp;
      *pp = old->next;
      free(old);
      break;
    }
  }
  e->next = tags[b];
  tags[b] = e;
  stripe_unlock(lock_for(b));
  return 0;
}

bool xtp_gtag_take(grpc_completion_queue *cq, void *tag, xtp_gtag *out) {
  size_t b = hash2(cq, tag);
  xtp_gtag *found = NULL;
  stripe_lock(lock_for(b));
  for (xtp_gtag **pp = &tags[b]; *pp; pp = &(*pp)->next) {
    if ((*pp)->cq == cq && (*pp)->tag == tag) {
      found = *pp;
      *pp = found->next;
      break;
    }
  }
  stripe_unlock(lock_for(b));
  if (!found)
    return false;
  *out = *found;
  free(found);
  return true;
}

bool xtp_gtag_pending(grpc_completion_queue *cq, void *tag, int kind) {
  size_t b = hash2(cq, tag);
  bool found = false;
  stripe_lock(lock_for(b));
  for (const xtp_gtag *e = tags[b]; e; e = e->next) {
    if (e->cq == cq && e->tag == tag) {
      found = e->kind == kind;
      break;
    }
  }
  stripe_unlock(lock_for(b));
  return found;
}

/* Calls -------------------------------------------------------------------- */

static xtp_gcall *calls[NBUCKETS];

static xtp_gcall **call_slot(size_t b, grpc_call *call) {
  xtp_gcall **pp = &calls[b];
  while (*pp && (*pp)->call != call)
    pp = &(*pp)->next;
  return pp;
}

static void copy_str(char *dst, size_t cap, const char *s, size_t len) {
  if (len >= cap)
    len = cap - 1;
  memcpy(dst, s, len);
  dst[len] = '\0';
}

xtp_gcall *xtp_gcall_new(grpc_call *call, int kind, grpc_completion_queue *cq, const char *method,
                         size_t method_len) {
  /* Not calloc: the record is half a KiB, mostly strings written here. */
  xtp_gcall *r = malloc(sizeof *r);
  if (!r)
    return NULL;
  r->next = NULL;
  r->call = call;
  r->refs = 1;
  r->kind = kind;
  r->status_sent = r->reply_edge = false;
  r->cq = cq;
  copy_str(r->method, sizeof r->method, method ? method : "?", method ? method_len : 1);
  r->peer[0] = '\0';
  r->ctx.task = 0;
  r->ctx.nparents = 0;
  r->ctx.items = NULL;
  return r;
}

void xtp_gcall_insert(xtp_gcall *r) {
  size_t b = hash2(r->call, NULL);
  xtp_gcall *stale = NULL;
  stripe_lock(lock_for(b));
  xtp_gcall **pp = call_slot(b, r->call);
  if (*pp) {
    stale = *pp;
    *pp = stale->next;
  }
  r->next = calls[b];
  calls[b] = r;
  stripe_unlock(lock_for(b));
  if (stale) {
    xtp_gsnap_free(&stale->ctx);
    free(stale);
  }
}

int xtp_gcall_add(grpc_call *call, int kind, grpc_completion_queue *cq, const char *method,
                  size_t method_len) {
  xtp_gcall *r = xtp_gcall_new(call, kind, cq, method, method_len);
  if (!r)
    return -ENOMEM;
  xtp_gcall_insert(r);
  return 0;
}

bool xtp_gcall_get(grpc_call *call, xtp_gcall *out) {
  size_t b = hash2(call, NULL);
  bool found = false;
  stripe_lock(lock_for(b));
  xtp_gcall *r = *call_slot(b, call);
  if (r) {
    /* Field by field: the snapshot's items need a copy of their own. */
    out->next = NULL;
    out->call = r->call;
    out->refs = r->refs;
    out->kind = r->kind;
    out->status_sent = r->status_sent;
    out->reply_edge = r->reply_edge;
    out->cq = r->cq;
    memcpy(out->method, r->method, sizeof out->method);
    memcpy(out->peer, r->peer, sizeof out->peer);
    xtp_gsnap_copy(&out->ctx, &r->ctx);
    found = true;
  }
  stripe_unlock(lock_for(b));
  return found;
}

void xtp_gcall_set_ctx(grpc_call *call, const bg_context *ctx, bool status_sent) {
  size_t b = hash2(call, NULL);
  stripe_lock(lock_for(b));
  xtp_gcall *r = *call_slot(b, call);
  if (r) {
    xtp_gsnap_take(&r->ctx, ctx);
    r->status_sent = r->status_sent || status_sent;
  }
  stripe_unlock(lock_for(b));
}

void xtp_gcall_set_peer(grpc_call *call, const char *peer, bool reply_edge, const bg_context *ctx) {
  size_t b = hash2(call, NULL);
  stripe_lock(lock_for(b));
  xtp_gcall *r = *call_slot(b, call);
  if (r) {
    copy_str(r->peer, sizeof r->peer, peer, strlen(peer));
    r->reply_edge = reply_edge;
    if (ctx)
      xtp_gsnap_take(&r->ctx, ctx);
  }
  stripe_unlock(lock_for(b));
}

void xtp_gcall_ref(grpc_call *call) {
  size_t b = hash2(call, NULL);
  stripe_lock(lock_for(b));
  xtp_gcall *r = *call_slot(b, call);
  if (r)
    r->refs++;
  stripe_unlock(lock_for(b));
}

/* Runs before the real unref: once that returns, the pointer may already
 * name a new call. */
void xtp_gcall_unref(grpc_call *call) {
  size_t b = hash2(call, NULL);
  xtp_gcall *gone = NULL;
  stripe_lock(lock_for(b));
  xtp_gcall **pp = call_slot(b, call);
  if (*pp && --(*pp)->refs <= 0) {
    gone = *pp;
    *pp = gone->next;
  }
  stripe_unlock(lock_for(b));
  if (gone) {
    xtp_gsnap_free(&gone->ctx);
    free(gone);
  }
}

/* Method registrations ------------------------------------------------------ */

/* Read per call, written at every registration: a small table, one record
 * per handle, never removed. Core hands out the same handle each time a
 * channel registers the same method, and grpc++ registers every method of
 * a service each time a stub is constructed, so a record per registration
 * would grow without bound in a program that makes stubs per request. */
typedef struct named {
  struct named *next;
  void *key;
  char method[160];
} named;

static named *names[256];
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t name_slot(void *key) { return hash2(key, NULL) % 256; }

/* A handle that comes back with another method (its channel or server was
 * destroyed and the memory reused) is renamed in place: nobody can still be
 * looking it up for its old meaning, as that handle died with its channel. */
void xtp_gmethod_put(void *handle, const char *method) {
  size_t i = name_slot(handle);
  pthread_mutex_lock(&names_lock);
  named *n = names[i];
  while (n && n->key != handle)
    n = n->next;
  if (n) {
    if (strncmp(n->method, method, sizeof n->method - 1) != 0)
      copy_str(n->method, sizeof n->method, method, strlen(method));
    pthread_mutex_unlock(&names_lock);
    return;
  }
  n = calloc(1, sizeof *n);
  if (n) {
    n->key = handle;
    copy_str(n->method, sizeof n->method, method, strlen(method));
    n->next = names[i];
    __atomic_store_n(&names[i], n, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&names_lock);
}

/* Lock-free read: entries are never removed, and each is published whole. */
const char *xtp_gmethod_get(void *handle) {
  for (named *n = __atomic_load_n(&names[name_slot(handle)], __ATOMIC_ACQUIRE); n; n = n->next)
    if (n->key == handle)
      return n->method;
  return NULL;
}

/* Callback queues ---------------------------------------------------------- */

/* Few queues exist and they are created and destroyed rarely, while the
 * question "is this a callback queue?" is asked on every batch: a count of
 * live callback queues answers it without a lock for the usual program,
 * which has none. */
typedef struct cbq {
  struct cbq *next;
  grpc_completion_queue *cq;
} cbq;

static cbq *cbqs[64];
static pthread_mutex_t cbqs_lock = PTHREAD_MUTEX_INITIALIZER;
static int ncbqs;

static cbq **cbq_slot(grpc_completion_queue *cq) {
  cbq **pp = &cbqs[hash2(cq, NULL) % 64];
  while (*pp && (*pp)->cq != cq)
    pp = &(*pp)->next;
  return pp;
}

void xtp_gcq_mark_callback(grpc_completion_queue *cq) {
  cbq *n = malloc(sizeof *n);
  if (!n)
    return;
  pthread_mutex_lock(&cbqs_lock);
  cbq **pp = cbq_slot(cq);
  if (!*pp) {
    n->cq = cq;
    n->next = NULL;
    *pp = n;
    n = NULL;
    __atomic_add_fetch(&ncbqs, 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&cbqs_lock);
  free(n); /* marked already: core's own create calls the exported one too */
}

bool xtp_gcq_is_callback(grpc_completion_queue *cq) {
  if (!cq || __atomic_load_n(&ncbqs, __ATOMIC_ACQUIRE) == 0)
    return false;
  pthread_mutex_lock(&cbqs_lock);
  bool found = *cbq_slot(cq) != NULL;
  pthread_mutex_unlock(&cbqs_lock);
  return found;
}

void xtp_gcq_forget(grpc_completion_queue *cq) {
  if (__atomic_load_n(&ncbqs, __ATOMIC_ACQUIRE) == 0)
    return;
  pthread_mutex_lock(&cbqs_lock);
  cbq **pp = cbq_slot(cq), *gone = *pp;
  if (gone) {
    *pp = gone->next;
    __atomic_sub_fetch(&ncbqs, 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&cbqs_lock);
  free(gone);
}

/* Fork protocol (common.c) ------------------------------------------------- */

/* The child's table locks start free: a lock held by one of the parent's
 * other threads at the fork would otherwise stay held for good. The locks
 * are not taken across the fork, unlike the thread table's: gRPC itself
 * does not carry a channel or server into a fork child (only with
 * GRPC_ENABLE_FORK_SUPPORT, and then it builds its own state anew), so an
 * entry caught mid-update there is not used. */
void xtp_grpc_after_fork_child(void) {
  for (int i = 0; i < NSTRIPES; i++)
    __atomic_store_n(&stripes[i].held, 0, __ATOMIC_RELAXED);
  pthread_mutex_init(&names_lock, NULL);
  pthread_mutex_init(&cbqs_lock, NULL);
}
