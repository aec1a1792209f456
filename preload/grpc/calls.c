/*
 * gRPC: the context crosses processes in call metadata, and the server's
 * last event comes back in trailing metadata.
 *
 * Client calls are the ones grpc_channel_create_call/_registered_call return.
 * The batch that sends their initial metadata gets the context keys (on a
 * copy of the caller's ops) after a "grpc call" event; the batch that
 * receives their status is remembered by (queue, tag), and whoever dequeues
 * that tag joins the server's last event and records "grpc done".
 *
 * Server calls are announced by grpc_server_request_*call (or, in C++ sync
 * and callback servers, by the allocators of grpc/alloc.cc): the tag is
 * remembered with the metadata array it fills, and the thread that dequeues
 * it adopts the call's context and records "grpc receive". A batch on the
 * call from a thread in another task re-adopts it (Ruby hands calls to
 * worker threads). The batch that sends the status records "grpc reply",
 * carries its event ID in trailing metadata (when the caller sent xtrace
 * keys, or XTRACE_GRPC_REPLY=1) and restores what the thread had before.
 *
 * Nothing here is held across a real gRPC call: the tables copy in and out
 * under short locks (grpc/map.c).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grpc/shim.h"
#include "label.h"

#define XTP_GRPC_SYM_NAME(ret, name, params) #name,
static const char *const gsym_names[XTP_GSYM_COUNT] = {XTP_GRPC_SYMBOLS(XTP_GRPC_SYM_NAME)};
#undef XTP_GRPC_SYM_NAME
static void *gsym_table[XTP_GSYM_COUNT];

/* Only reached from a hook, so libgrpc is already loaded: RTLD_NEXT finds
 * it behind this library. */
void *xtp_grpc_sym(int i) {
  void *p = __atomic_load_n(&gsym_table[i], __ATOMIC_ACQUIRE);
  if (p)
    return p;
  xtp_depth++;
  p = dlsym(RTLD_NEXT, gsym_names[i]);
  xtp_depth--;
  if (p)
    __atomic_store_n(&gsym_table[i], p, __ATOMIC_RELEASE);
  return p;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *status_name(grpc_status_code c) {
  static const char *const names[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};
  return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "UNKNOWN";
}

static void fetch_peer(grpc_call *call, char *out, size_t cap) {
  grpc_call_get_peer_fn gp = GREAL(grpc_call_get_peer);
  gpr_free_fn fr = GREAL(gpr_free);
  char *p = gp ? gp(call) : NULL;
  /* Not strlcpy, which measures the whole source first. */
  const char *src = p ? p : "?";
  size_t n = strnlen(src, cap - 1);
  memcpy(out, src, n);
  out[n] = '\0';
  if (p && fr)
    fr(p);
}

/* Events ------------------------------------------------------------------- */

static uint64_t record(const xtp_label *label, const xt_kv *kv, size_t nkv, const void *caller) {
  xt_event_info ev = {.agent = "grpc",
                      .label = label->buf,
                      .label_len = label->len,
                      .caller = caller,
                      .source = caller ? NULL : "grpc",
                      .kv = kv,
                      .nkv = nkv};
  return xtp_emit(&ev);
}

/* Server: a new call was dequeued ------------------------------------------- */

/* The thread takes on the context the call arrived with; returns what was
 * wrong with its metadata, if anything. Apart from server_arrived so that
 * its snapshot is off the stack before the event is recorded. */
__attribute__((noinline)) static const char *adopt_arrived(grpc_call *call, const xtp_gtag *t,
                                                           bool *xtrace) {
  xtp_gsnap in = {0};
  const char *why = NULL;
  bg_context *dec = xtp_gscratch();
  *xtrace = false;
  if (dec && xtp_gmd_parse_request(t->md, dec, &why, xtrace) == 1) {
    xtp_gsnap_take(&in, dec);
  } else {
    /* No usable context: the call is the root of a task of its own. */
    in.task = bg_id_fresh();
  }
  if (why)
    xt_count_parse_failure();
  xtp_gadopt_snap(call, &in);
  xtp_gsnap_free(&in);
  return why;
}

/* The record is made first and registered last, filled in on the way (a
 * single table operation): no one else knows the call until next or pluck
 * returns it. */
static void server_arrived(const xtp_gtag *t, const void *caller) {
  grpc_call *call = *t->callp;
  const char *method = t->method;
  size_t mlen = method ? strlen(method) : 0;
  if (!method && t->details) {
    method = (const char *)GRPC_SLICE_START_PTR(t->details->method);
    mlen = GRPC_SLICE_LENGTH(t->details->method);
  }
  xtp_gcall *rec = xtp_gcall_new(call, XTP_GCALL_SERVER, t->call_cq, method, mlen);
  if (!rec)
    return;
  bool xtrace;
  const char *why = adopt_arrived(call, t, &xtrace);
  char text[320];
  fetch_peer(call, rec->peer, sizeof rec->peer);
  /* A caller that sent no xtrace keys (a W3C peer, or one of ours told to
   * send traceparent only) would not read the reply's key: it is not sent
   * unless asked for. */
  rec->reply_edge = xtrace || xtp_gmd_reply_always();
  xtp_label label;
  xtp_label_init(&label, text, sizeof text);
  xtp_label_lit(&label, "grpc receive ");
  xtp_label_str(&label, rec->method);
  xtp_label_lit(&label, " from ");
  xtp_label_str(&label, rec->peer);
  xt_kv kv[] = {{"method", rec->method}, {"peer", rec->peer}, {"metadata_error", why}};
  record(&label, kv, why ? 3 : 2, caller);
  xtp_gsnap_take(&rec->ctx, xt_context_peek());
  xtp_gcall_insert(rec);
}

/* Client: the status of a call was dequeued --------------------------------- */

static void client_done(const xtp_gtag *t, int success, const void *caller) {
  xtp_gcall rec;
  if (!xtp_gcall_get(t->call, &rec))
    return;
  bg_context *ctx = xt_context();
  /* The completion may reach a thread that never saw the call (a callback
   * or a dispatcher thread): it continues the sender's context. */
  if (ctx->task_id != rec.ctx.task && rec.ctx.task)
    xtp_gadopt_snap(NULL, &rec.ctx);
  xtp_gsnap_free(&rec.ctx);
  if (!ctx->task_id)
    return;
  bool bad = false;
  uint64_t server_ev = success ? xtp_gmd_parse_trailing(t->trailing, &bad) : 0;
  if (bad)
    xt_count_parse_failure();
  if (server_ev)
    xt_join(ctx->task_id, &server_ev, 1);
  grpc_status_code st = success ? *t->status : GRPC_STATUS_UNKNOWN;
  char lat[24], text[320];
  xtp_label latency, label;
  xtp_label_init(&latency, lat, sizeof lat);
  xtp_label_u64(&latency, (now_ns() - t->start_ns) / 1000);
  xtp_label_init(&label, text, sizeof text);
  xtp_label_lit(&label, "grpc done ");
  xtp_label_str(&label, rec.method);
  xtp_label_lit(&label, ": ");
  xtp_label_str(&label, status_name(st));
  xtp_label_lit(&label, " in ");
  xtp_label_mem(&label, lat, latency.len);
  xtp_label_lit(&label, " us");
  xt_kv kv[] = {
      {"method", rec.method}, {"peer", rec.peer}, {"status", status_name(st)}, {"latency_us", lat}};
  record(&label, kv, 4, caller);
}

void xtp_grpc_completed(grpc_completion_queue *cq, void *tag, int success) {
  if (!xtp_enter(XTP_FAM_GRPC))
    return;
  xtp_gtag t;
  if (xtp_gtag_take(cq, tag, &t)) {
    if (t.kind == XTP_GTAG_NEW_CALL && success && *t.callp)
      server_arrived(&t, NULL);
    else if (t.kind == XTP_GTAG_CLIENT_STATUS)
      client_done(&t, success, NULL);
  }
  xtp_leave();
}

/* Creating and registering -------------------------------------------------- */

static void track_client(grpc_call *c, grpc_completion_queue *cq, const char *m, size_t len) {
  if (c && xtp_enter(XTP_FAM_GRPC)) {
    xtp_gcall_add(c, XTP_GCALL_CLIENT, cq, m, len);
    xtp_leave();
  }
}

XTP_HOOK grpc_call *grpc_channel_create_call(grpc_channel *channel, grpc_call *parent,
                                             uint32_t mask, grpc_completion_queue *cq,
                                             grpc_slice method, const grpc_slice *host,
                                             gpr_timespec deadline, void *reserved) {
  grpc_channel_create_call_fn real = GREAL(grpc_channel_create_call);
  if (!real)
    return NULL;
  grpc_call *c = real(channel, parent, mask, cq, method, host, deadline, reserved);
  track_client(c, cq, (const char *)GRPC_SLICE_START_PTR(method), GRPC_SLICE_LENGTH(method));
  return c;
}

XTP_HOOK grpc_call *grpc_channel_create_registered_call(grpc_channel *channel, grpc_call *parent,
                                                        uint32_t mask, grpc_completion_queue *cq,
                                                        void *handle, gpr_timespec deadline,
                                                        void *reserved) {
  grpc_channel_create_registered_call_fn real = GREAL(grpc_channel_create_registered_call);
  if (!real)
    return NULL;
  grpc_call *c = real(channel, parent, mask, cq, handle, deadline, reserved);
  const char *m = xtp_gmethod_get(handle);
  track_client(c, cq, m, m ? strlen(m) : 0);
  return c;
}

/* Registrations happen once, at start-up, possibly before the library is
 * initialised: they are remembered whatever the guard says. */
XTP_HOOK void *grpc_channel_register_call(grpc_channel *channel, const char *method,
                                          const char *host, void *reserved) {
  grpc_channel_register_call_fn real = GREAL(grpc_channel_register_call);
  if (!real)
    return NULL;
  void *h = real(channel, method, host, reserved);
  if (h && method)
    xtp_gmethod_put(h, method);
  return h;
}

XTP_HOOK void *grpc_server_register_method(grpc_server *server, const char *method,
                                           const char *host,
                                           grpc_server_register_method_payload_handling ph,
                                           uint32_t flags) {
  grpc_server_register_method_fn real = GREAL(grpc_server_register_method);
  if (!real)
    return NULL;
  void *h = real(server, method, host, ph, flags);
  if (h && method)
    xtp_gmethod_put(h, method);
  return h;
}

/* The hooks that only mirror a gRPC call into the shim's tables share one
 * shape (the real function, the table update, the real call); each keeps its
 * own signature, as in grpc/callback.c. */
XTP_HOOK void grpc_call_ref(grpc_call *call) {
  grpc_call_ref_fn real = GREAL(grpc_call_ref);
  xtp_gcall_ref(call);
  if (real)
    real(call);
}

XTP_HOOK void grpc_call_unref(grpc_call *call) {
  grpc_call_unref_fn real = GREAL(grpc_call_unref);
  xtp_gcall_unref(call);
  if (real)
    real(call);
}

/* Requesting new calls ------------------------------------------------------ */

/* The entry goes in before the real call: the call may arrive and be
 * dequeued by another thread before request_call has even returned.
 * Returns the tag to give core (t->tag, or a functor of ours on a callback
 * queue); t->kind stays 0 when nothing was registered. */
static void *expect_new_call(xtp_gtag *t) {
  void *tag = t->tag;
  if (!xtp_enter(XTP_FAM_GRPC))
    return tag;
  t->tag = xtp_grpc_wrap_tag(t->cq, tag, NULL, true);
  t->kind = XTP_GTAG_NEW_CALL;
  if (xtp_gtag_put(t) < 0) {
    xtp_grpc_unwrap_tag(t->tag, tag);
    t->tag = tag;
    t->kind = 0;
  }
  xtp_leave();
  return t->tag;
}

static void forget_tag(grpc_completion_queue *cq, void *tag) {
  xtp_gtag t;
  xtp_gtag_take(cq, tag, &t);
}

/* Core refused the request: nothing will complete. */
static void unexpect_new_call(const xtp_gtag *t, void *tag) {
  if (!t->kind)
    return;
  forget_tag(t->cq, t->tag);
  xtp_grpc_unwrap_tag(t->tag, tag);
}

XTP_HOOK grpc_call_error grpc_server_request_call(grpc_server *server, grpc_call **call,
                                                  grpc_call_details *details,
                                                  grpc_metadata_array *md,
                                                  grpc_completion_queue *cq_call,
                                                  grpc_completion_queue *cq_notify, void *tag) {
  grpc_server_request_call_fn real = GREAL(grpc_server_request_call);
  if (!real)
    return GRPC_CALL_ERROR;
  xtp_gtag t = {
      .cq = cq_notify, .tag = tag, .callp = call, .call_cq = cq_call, .md = md, .details = details};
  void *ctag = expect_new_call(&t);
  grpc_call_error rc = real(server, call, details, md, cq_call, cq_notify, ctag);
  if (rc != GRPC_CALL_OK)
    unexpect_new_call(&t, tag);
  return rc;
}

XTP_HOOK grpc_call_error grpc_server_request_registered_call(
    grpc_server *server, void *method, grpc_call **call, gpr_timespec *deadline,
    grpc_metadata_array *md, grpc_byte_buffer **payload, grpc_completion_queue *cq_call,
    grpc_completion_queue *cq_notify, void *tag) {
  grpc_server_request_registered_call_fn real = GREAL(grpc_server_request_registered_call);
  if (!real)
    return GRPC_CALL_ERROR;
  xtp_gtag t = {.cq = cq_notify,
                .tag = tag,
                .callp = call,
                .call_cq = cq_call,
                .md = md,
                .method = xtp_gmethod_get(method)};
  void *ctag = expect_new_call(&t);
  grpc_call_error rc = real(server, method, call, deadline, md, payload, cq_call, cq_notify, ctag);
  if (rc != GRPC_CALL_OK)
    unexpect_new_call(&t, tag);
  return rc;
}

/* Dequeuing ----------------------------------------------------------------- */

XTP_HOOK grpc_event grpc_completion_queue_next(grpc_completion_queue *cq, gpr_timespec deadline,
                                               void *reserved) {
  grpc_completion_queue_next_fn real = GREAL(grpc_completion_queue_next);
  if (!real) {
    grpc_event ev = {.type = GRPC_QUEUE_SHUTDOWN};
    return ev;
  }
  if (xtp_gadopt_active() && xtp_enter(XTP_FAM_GRPC)) {
    xtp_gadopt_release_before_wait();
    xtp_leave();
  }
  grpc_event ev = real(cq, deadline, reserved);
  if (ev.type == GRPC_OP_COMPLETE)
    xtp_grpc_completed(cq, ev.tag, ev.success);
  return ev;
}

/* A pluck waits for one specific operation of the code that is running, in
 * the middle of its work (a server forwarding a call): nothing is released,
 * unless what it waits for is a new call. A thread that plucks its request
 * for the next call is idle, as one in next is, and done with the call it
 * dequeued last, which another thread may be serving (Ruby's RpcServer
 * plucks new calls on one thread and runs each handler on a pool thread,
 * which sends the status: the release there is the pool thread's own). The
 * call's record is left as it is: the thread serving the call carries it
 * on, and a write from here could replace newer progress with older. */
XTP_HOOK grpc_event grpc_completion_queue_pluck(grpc_completion_queue *cq, void *tag,
                                                gpr_timespec deadline, void *reserved) {
  grpc_completion_queue_pluck_fn real = GREAL(grpc_completion_queue_pluck);
  if (!real) {
    grpc_event ev = {.type = GRPC_QUEUE_SHUTDOWN};
    return ev;
  }
  if (xtp_gadopt_active() && xtp_enter(XTP_FAM_GRPC)) {
    if (xtp_gtag_pending(cq, tag, XTP_GTAG_NEW_CALL))
      xtp_gadopt_release();
    xtp_leave();
  }
  grpc_event ev = real(cq, tag, deadline, reserved);
  if (ev.type == GRPC_OP_COMPLETE)
    xtp_grpc_completed(cq, ev.tag, ev.success);
  return ev;
}

/* grpc++ completes some operations into a per-thread cache and picks them
 * up here instead of from next/pluck. */
XTP_HOOK int grpc_completion_queue_thread_local_cache_flush(grpc_completion_queue *cq, void **tag,
                                                            int *ok) {
  grpc_completion_queue_thread_local_cache_flush_fn real =
      GREAL(grpc_completion_queue_thread_local_cache_flush);
  if (!real)
    return 0;
  int r = real(cq, tag, ok);
  if (r)
    xtp_grpc_completed(cq, *tag, *ok);
  return r;
}

/* Batches ------------------------------------------------------------------- */

static int find_op(const grpc_op *ops, size_t n, grpc_op_type type) {
  for (size_t i = 0; i < n; i++)
    if (ops[i].op == type)
      return (int)i;
  return -1;
}

/* What a batch that carries our metadata passes to core instead of the
 * caller's ops: a copy of them with one op's metadata list swapped for ours.
 * On the heap, in one allocation, made once per call and once per reply:
 * the hook's stack stays small (under 2 KiB with the event it records). */
typedef struct swap {
  xtp_gmd_out md;
  grpc_op ops[];
} swap;

typedef struct batch {
  grpc_call *call;
  const grpc_op *ops;
  size_t nops;
  void *tag;
  void *reserved;
  const void *caller;
  swap *sw; /* what the real call gets instead of ops, or NULL */
  bool tag_put;
  bool answered; /* server: this batch sends the status */
  grpc_completion_queue *tag_cq;
} batch;

/* A batch has at most one op of each of gRPC's eight types. */
_Static_assert(sizeof(swap) + 8 * sizeof(grpc_op) <= XTP_GSPARE_BYTES,
               "a batch's swap fits the thread's spare block");

/* The caller's ops, copied to have one op's metadata list swapped for
 * ours; the metadata is to be built into the returned list. NULL when out
 * of memory: the batch then goes out as the caller made it. */

static xtp_gmd_out *swap_start(batch *b) {
  size_t size = sizeof *b->sw + b->nops * sizeof b->sw->ops[0];
  b->sw = size <= XTP_GSPARE_BYTES ? xtp_gspare_take() : NULL;
  if (!b->sw)
    b->sw = malloc(size <= XTP_GSPARE_BYTES ? XTP_GSPARE_BYTES : size);
  if (!b->sw)
    return NULL;
  memcpy(b->sw->ops, b->ops, b->nops * sizeof b->sw->ops[0]);
  return &b->sw->md;
}

/* The swap is done with (the list could not be built, or the batch has
 * been started): its block is kept for the thread's next batch. */
static void swap_end(batch *b) {
  if (sizeof *b->sw + b->nops * sizeof b->sw->ops[0] > XTP_GSPARE_BYTES || !xtp_gspare_keep(b->sw))
    free(b->sw);
  b->sw = NULL;
}

static void client_batch(batch *b, const xtp_gcall *rec) {
  const bg_context *ctx = xt_context_peek();
  int si = find_op(b->ops, b->nops, GRPC_OP_SEND_INITIAL_METADATA);
  if (si >= 0 && ctx->task_id) {
    char peer[96], text[320];
    fetch_peer(b->call, peer, sizeof peer);
    xtp_label label;
    xtp_label_init(&label, text, sizeof text);
    xtp_label_lit(&label, "grpc call ");
    xtp_label_str(&label, rec->method);
    xtp_label_lit(&label, " to ");
    xtp_label_str(&label, peer);
    xt_kv kv[] = {{"method", rec->method}, {"peer", peer}};
    record(&label, kv, 2, b->caller);
    const grpc_op *op = &b->ops[si];
    /* The metadata swap, as for a reply's trailing metadata (below): the
     * same steps on another op field, which gRPC's types keep apart. */
    xtp_gmd_out *md = swap_start(b);
    if (md && xtp_gmd_build_request(md, op->data.send_initial_metadata.metadata,
                                    op->data.send_initial_metadata.count, ctx) == 0) {
      b->sw->ops[si].data.send_initial_metadata.metadata = md->array;
      b->sw->ops[si].data.send_initial_metadata.count = md->count;
    } else if (md) {
      swap_end(b);
    }
    xtp_gcall_set_peer(b->call, peer, false, ctx);
  }
  int ri = find_op(b->ops, b->nops, GRPC_OP_RECV_STATUS_ON_CLIENT);
  if (ri >= 0 && (ctx->task_id || rec->ctx.task) && rec->cq &&
      b->ops[ri].data.recv_status_on_client.trailing_metadata) {
    const grpc_op *op = &b->ops[ri];
    xtp_gtag t = {.cq = rec->cq,
                  .tag = b->tag,
                  .kind = XTP_GTAG_CLIENT_STATUS,
                  .call = b->call,
                  .trailing = op->data.recv_status_on_client.trailing_metadata,
                  .status = op->data.recv_status_on_client.status,
                  .start_ns = now_ns()};
    b->tag_put = xtp_gtag_put(&t) == 0;
    b->tag_cq = rec->cq;
  }
}

static void server_batch(batch *b, const xtp_gcall *rec) {
  bg_context *ctx = xt_context();
  if (!rec->status_sent && rec->ctx.task && ctx->task_id != rec->ctx.task)
    xtp_gadopt_snap(b->call, &rec->ctx);
  int si = find_op(b->ops, b->nops, GRPC_OP_SEND_STATUS_FROM_SERVER);
  if (si < 0 || !ctx->task_id)
    return;
  const grpc_op *op = &b->ops[si];
  const char *st = status_name(op->data.send_status_from_server.status);
  char text[320];
  xtp_label label;
  xtp_label_init(&label, text, sizeof text);
  xtp_label_lit(&label, "grpc reply ");
  xtp_label_str(&label, rec->method);
  xtp_label_lit(&label, ": ");
  xtp_label_str(&label, st);
  xtp_label_lit(&label, " to ");
  xtp_label_str(&label, rec->peer);
  xt_kv kv[] = {{"method", rec->method}, {"peer", rec->peer}, {"status", st}};
  uint64_t ev = record(&label, kv, 3, b->caller);
  xtp_gmd_out *md = ev && rec->reply_edge ? swap_start(b) : NULL;
  if (md &&
      xtp_gmd_build_trailing(md, op->data.send_status_from_server.trailing_metadata,
                             op->data.send_status_from_server.trailing_metadata_count, ev) == 0) {
    b->sw->ops[si].data.send_status_from_server.trailing_metadata = md->array;
    b->sw->ops[si].data.send_status_from_server.trailing_metadata_count = md->count;
  } else if (md) {
    swap_end(b);
  }
  xtp_gcall_set_ctx(b->call, ctx, true);
  b->answered = true;
}

XTP_HOOK grpc_call_error grpc_call_start_batch(grpc_call *call, const grpc_op *ops, size_t nops,
                                               void *tag, void *reserved) {
  grpc_call_start_batch_fn real = GREAL(grpc_call_start_batch);
  if (!real)
    return GRPC_CALL_ERROR;
  if (!nops || !ops || !xtp_enter(XTP_FAM_GRPC))
    return real(call, ops, nops, tag, reserved);
  batch b;
  b.call = call;
  b.ops = ops;
  b.nops = nops;
  b.tag = tag;
  b.reserved = reserved;
  b.caller = __builtin_return_address(0);
  b.sw = NULL;
  b.tag_cq = NULL;
  b.tag_put = b.answered = false;
  xtp_gcall rec;
  if (xtp_gcall_get(call, &rec)) {
    /* On a callback queue core calls the tag: ours runs the caller's with
     * the context this batch leaves behind, captured once it is recorded. */
    b.tag = xtp_grpc_wrap_tag(rec.cq, tag, rec.kind == XTP_GCALL_SERVER ? call : NULL, false);
    if (rec.kind == XTP_GCALL_CLIENT)
      client_batch(&b, &rec);
    else
      server_batch(&b, &rec);
    xtp_grpc_wrap_capture(b.tag, tag);
    xtp_gsnap_free(&rec.ctx);
    /* The call is answered: the thread goes back to what it was doing. */
    if (b.answered)
      xtp_gadopt_release();
  }
  /* Outside the guard: on a callback queue the real call may run
   * application callbacks inline, and their logging must be seen. */
  xtp_leave();
  grpc_call_error rc = real(call, b.sw ? b.sw->ops : ops, nops, b.tag, reserved);
  if (b.sw) {
    xtp_gmd_release(&b.sw->md);
    swap_end(&b);
  }
  if (rc != GRPC_CALL_OK) {
    if (b.tag_put)
      forget_tag(b.tag_cq, b.tag);
    xtp_grpc_unwrap_tag(b.tag, tag);
  }
  return rc;
}
