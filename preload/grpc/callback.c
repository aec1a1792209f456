/*
 * gRPC callback completion queues: core does not hand their completions to
 * next/pluck but calls the operation's tag, a grpc_completion_queue_functor,
 * on one of its own threads (the C++ callback API uses them where core
 * polls in the background). Those threads carry no context of their own,
 * so the shim gives core a functor of its own instead of the caller's:
 * it adopts the context the operation was started with, lets the shim see
 * the completion as next/pluck would (a new call is adopted, a client's
 * status joins the server's last event), runs the caller's functor, and
 * leaves the thread as it found it.
 *
 * Which queues are callback queues is learnt from their creation.
 */
#include <stdlib.h>

#include "grpc/shim.h"

typedef struct wrapper {
  grpc_completion_queue_functor functor; /* what core sees: must come first */
  grpc_completion_queue_functor *orig;
  grpc_completion_queue *cq;
  grpc_call *call; /* a server call, whose progress is kept in its record */
  bool new_call;   /* completes a request for a new call */
  xtp_gsnap ctx;   /* the operation's context */
} wrapper;

static void run_wrapped(grpc_completion_queue_functor *f, int ok) {
  wrapper *w = (wrapper *)f;
  xtp_gscope outer;
  xtp_handoff_thread_is_grpcs();
  xtp_grpc_scope_enter(&outer);
  if (!w->new_call && w->ctx.task)
    xtp_grpc_scope_adopt(w->call, &w->ctx);
  xtp_grpc_completed(w->cq, f, ok);
  w->orig->functor_run(w->orig, ok);
  xtp_grpc_scope_leave(&outer);
  xtp_gsnap_free(&w->ctx);
  free(w);
}

void *xtp_grpc_wrap_tag(grpc_completion_queue *cq, void *tag, grpc_call *call, bool new_call) {
  if (!tag || !xtp_gcq_is_callback(cq))
    return tag;
  wrapper *w = calloc(1, sizeof *w);
  if (!w)
    return tag;
  w->orig = tag;
  w->functor.functor_run = run_wrapped;
  w->functor.inlineable = w->orig->inlineable;
  w->cq = cq;
  w->call = call;
  w->new_call = new_call;
  return &w->functor;
}

void xtp_grpc_wrap_capture(void *wrapped, void *tag) {
  if (wrapped != tag)
    xtp_gsnap_take(&((wrapper *)wrapped)->ctx, xt_context_peek());
}

void xtp_grpc_unwrap_tag(void *wrapped, void *tag) {
  if (wrapped == tag)
    return;
  wrapper *w = wrapped;
  xtp_gsnap_free(&w->ctx);
  free(w);
}

/* Queues are learnt whatever the guard says, like method registrations:
 * they are created once, possibly before the library is initialised. */
XTP_HOOK grpc_completion_queue *
grpc_completion_queue_create_for_callback(grpc_completion_queue_functor *shutdown_callback,
                                          void *reserved) {
  grpc_completion_queue_create_for_callback_fn real =
      GREAL(grpc_completion_queue_create_for_callback);
  if (!real)
    return NULL;
  grpc_completion_queue *cq = real(shutdown_callback, reserved);
  if (cq)
    xtp_gcq_mark_callback(cq);
  return cq;
}

XTP_HOOK grpc_completion_queue *
grpc_completion_queue_create(const grpc_completion_queue_factory *factory,
                             const grpc_completion_queue_attributes *attr, void *reserved) {
  grpc_completion_queue_create_fn real = GREAL(grpc_completion_queue_create);
  if (!real)
    return NULL;
  grpc_completion_queue *cq = real(factory, attr, reserved);
  if (cq && attr && attr->cq_completion_type == GRPC_CQ_CALLBACK)
    xtp_gcq_mark_callback(cq);
  return cq;
}

XTP_HOOK void grpc_completion_queue_destroy(grpc_completion_queue *cq) {
  grpc_completion_queue_destroy_fn real = GREAL(grpc_completion_queue_destroy);
  xtp_gcq_forget(cq);
  if (real)
    real(cq);
}
