/*
 * What a thread carries for the gRPC shim: its adoption of a call's context
 * (with what it had before, to go back to) and its decoding space, and
 * their release when the thread ends.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_shim.h"

/* A thread that takes on a call's context keeps what it had before in
 * `base`, once: adopting again on top (a pooled thread that picks up the
 * next call before the previous one's status is sent) keeps the original
 * base, so the release always returns the thread to its own context. */
static XT_TLS xt__gscope adopt;

bool xt__gadopt_active(void) { return adopt.active; }

/* Decoding space: a bg_context is too big for gRPC's stacks to take lightly
 * and too big to allocate per call. */
static XT_TLS bg_context *decode_space;
static XT_TLS bool thread_state_owned;
static pthread_key_t thread_state_key;
static bool thread_state_key_ok;
static pthread_once_t thread_state_once = PTHREAD_ONCE_INIT;

/* What a thread holds here must go with it: grpc++'s sync server and gRPC's
 * own pools start and end threads as load changes, and a server that gives
 * each call a thread would otherwise lose 9 KiB per call. A key destructor
 * runs at every thread's exit, however the thread was created. */
static void thread_state_free(void *unused) {
  (void)unused;
  free(decode_space);
  decode_space = NULL;
  if (adopt.active) {
    xt__gsnap_free(&adopt.base);
    adopt.active = false;
    adopt.call = NULL;
  }
  thread_state_owned = false;
}

static void thread_state_key_init(void) {
  thread_state_key_ok = pthread_key_create(&thread_state_key, thread_state_free) == 0;
}

static void thread_state_own(void) {
  if (thread_state_owned)
    return;
  pthread_once(&thread_state_once, thread_state_key_init);
  /* The value only has to be non-NULL for the destructor to run. */
  thread_state_owned = thread_state_key_ok && pthread_setspecific(thread_state_key, &thread_state_key) == 0;
}

bg_context *xt__gscratch(void) {
  if (!decode_space) {
    thread_state_own();
    decode_space = malloc(sizeof *decode_space);
  }
  return decode_space;
}

void xt__gadopt_snap(grpc_call *call, const xt__gsnap *s) {
  bg_context *ctx = xt_context();
  if (!adopt.active) {
    thread_state_own(); /* the base may hold the thread's baggage */
    xt__gsnap_take(&adopt.base, ctx);
    adopt.active = true;
  }
  adopt.call = call;
  xt__gsnap_put(s, ctx);
}

void xt__gadopt_release(void) {
  if (!adopt.active)
    return;
  xt__gsnap_put(&adopt.base, xt_context());
  xt__gsnap_free(&adopt.base);
  adopt.active = false;
  adopt.call = NULL;
}

/* A thread going back to its queue for more work is done with what it
 * dequeued last; a server call it still serves keeps its progress in the
 * call record, to be re-adopted by whichever thread sends its next batch. */
void xt__gadopt_release_before_wait(void) {
  if (!adopt.active)
    return;
  if (adopt.call)
    xt__gcall_set_ctx(adopt.call, xt_context(), false);
  xt__gadopt_release();
}

/* A functor of a callback queue runs on whatever thread core completes the
 * operation on, possibly inside another adoption (an inline completion on
 * a handler's thread): the thread's adoption is set aside for the functor
 * and put back afterwards, so the two never mix. */
void xt__grpc_scope_enter(xt__gscope *outer) {
  memcpy(outer, &adopt, sizeof *outer);
  adopt.active = false;
  adopt.call = NULL;
  adopt.base.items = NULL; /* owned by outer now */
}

void xt__grpc_scope_adopt(grpc_call *call, const xt__gsnap *s) {
  xt__depth++;
  xt__gadopt_snap(call, s);
  xt__depth--;
}

void xt__grpc_scope_leave(xt__gscope *outer) {
  xt__depth++;
  xt__gadopt_release_before_wait();
  xt__depth--;
  memcpy(&adopt, outer, sizeof adopt);
}
