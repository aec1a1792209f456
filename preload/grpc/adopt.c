/*
 * What a thread carries for the gRPC shim: its adoption of a call's context
 * (with what it had before, to go back to) and its decoding space, and
 * their release when the thread ends.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/shim.h"

/* A thread that takes on a call's context keeps what it had before in
 * `adopt.base`, once: adopting again on top (a pooled thread that picks up
 * the next call before the previous one's status is sent) keeps the
 * original base, so the release always returns the thread to its own
 * context. The decoding space is there because a bg_context is too big for
 * gRPC's stacks to take lightly and too big to allocate per call.
 *
 * On the heap and only for threads that touch gRPC calls: static TLS is
 * paid by every thread of the program (thread.c in the client says why it
 * must stay small), and these hooks never run in a signal handler. */
typedef struct gthread {
  xtp_gscope adopt;
  bg_context *decode;
  void *spare; /* a block of XTP_GSPARE_BYTES kept for the next batch */
} gthread;

static XTP_TLS gthread *self;
static pthread_key_t thread_state_key;
static bool thread_state_key_ok;
static pthread_once_t thread_state_once = PTHREAD_ONCE_INIT;

bool xtp_gadopt_active(void) { return self && self->adopt.active; }

/* What a thread holds here must go with it: grpc++'s sync server and gRPC's
 * own pools start and end threads as load changes, and a server that gives
 * each call a thread would otherwise lose 9 KiB per call. A key destructor
 * runs at every thread's exit, however the thread was created. */
static void thread_state_free(void *p) {
  gthread *g = p;
  free(g->decode);
  free(g->spare);
  if (g->adopt.active)
    xtp_gsnap_free(&g->adopt.base);
  if (self == g)
    self = NULL;
  free(g);
}

static void thread_state_key_init(void) {
  thread_state_key_ok = pthread_key_create(&thread_state_key, thread_state_free) == 0;
}

/* NULL when out of memory: the thread then adopts nothing. */
static gthread *thread_state(void) {
  if (self)
    return self;
  pthread_once(&thread_state_once, thread_state_key_init);
  gthread *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  if (thread_state_key_ok)
    pthread_setspecific(thread_state_key, g);
  self = g;
  return g;
}

bg_context *xtp_gscratch(void) {
  gthread *g = thread_state();
  if (g && !g->decode)
    g->decode = malloc(sizeof *g->decode);
  return g ? g->decode : NULL;
}

void *xtp_gspare_take(void) {
  void *p = self ? self->spare : NULL;
  if (p)
    self->spare = NULL;
  return p;
}

bool xtp_gspare_keep(void *p) {
  gthread *g = thread_state();
  if (!g || g->spare)
    return false;
  g->spare = p;
  return true;
}

void xtp_gadopt_snap(grpc_call *call, const xtp_gsnap *s) {
  gthread *g = thread_state();
  if (!g)
    return;
  bg_context *ctx = xt_context();
  if (!g->adopt.active) {
    xtp_gsnap_take(&g->adopt.base, ctx);
    g->adopt.active = true;
  }
  g->adopt.call = call;
  xtp_gsnap_put(s, ctx);
}

void xtp_gadopt_release(void) {
  if (!xtp_gadopt_active())
    return;
  xtp_gsnap_put(&self->adopt.base, xt_context());
  xtp_gsnap_free(&self->adopt.base);
  self->adopt.active = false;
  self->adopt.call = NULL;
}

/* A thread going back to its queue for more work is done with what it
 * dequeued last; a server call it still serves keeps its progress in the
 * call record, to be re-adopted by whichever thread sends its next batch. */
void xtp_gadopt_release_before_wait(void) {
  if (!xtp_gadopt_active())
    return;
  if (self->adopt.call)
    xtp_gcall_set_ctx(self->adopt.call, xt_context_peek(), false);
  xtp_gadopt_release();
}

/* A functor of a callback queue runs on whatever thread core completes the
 * operation on, possibly inside another adoption (an inline completion on
 * a handler's thread): the thread's adoption is set aside for the functor
 * and put back afterwards, so the two never mix. */
void xtp_grpc_scope_enter(xtp_gscope *outer) {
  if (!self) {
    memset(outer, 0, sizeof *outer);
    return;
  }
  memcpy(outer, &self->adopt, sizeof *outer);
  self->adopt.active = false;
  self->adopt.call = NULL;
  self->adopt.base.items = NULL; /* owned by outer now */
}

void xtp_grpc_scope_adopt(grpc_call *call, const xtp_gsnap *s) {
  xtp_depth++;
  xtp_gadopt_snap(call, s);
  xtp_depth--;
}

void xtp_grpc_scope_leave(xtp_gscope *outer) {
  xtp_depth++;
  xtp_gadopt_release_before_wait();
  xtp_depth--;
  /* An outer adoption came from this thread's state, which therefore
   * exists; an inactive one has nothing to put back. */
  if (self)
    memcpy(&self->adopt, outer, sizeof self->adopt);
}
