/*
 * What the gRPC hook files share: the lazily resolved gRPC core functions,
 * the tables that follow calls and outstanding tags, the per-thread
 * adoption of a call's context, and the metadata codec. Private to the
 * grpc_* files of preload/.
 *
 * The preload does not link libgrpc: a program without gRPC never loads it
 * and never reaches these hooks, and every gRPC function the shim itself
 * calls is found with dlsym when first needed.
 */
#ifndef XTP_GRPC_SHIM_H
#define XTP_GRPC_SHIM_H

#include <grpc/grpc.h>
#include <grpc/slice.h>

#ifdef __cplusplus
extern "C" {
#endif

/* internal.h has no linkage block of its own. */
#include "internal.h"

/* Real gRPC functions ------------------------------------------------------ */

/* The same X-macro scheme as the libc table of internal.h, kept apart: these
 * live in libgrpc, which a program may not load at all, and are looked up
 * by name (xtp_grpc_sym) only once gRPC is seen. */
#define XTP_GRPC_SYMBOLS(X)                                                                        \
  X(grpc_call_error, grpc_call_start_batch,                                                        \
    (grpc_call *, const grpc_op *, size_t, void *, void *))                                        \
  X(grpc_call *, grpc_channel_create_call,                                                         \
    (grpc_channel *, grpc_call *, uint32_t, grpc_completion_queue *, grpc_slice,                   \
     const grpc_slice *, gpr_timespec, void *))                                                    \
  X(grpc_call *, grpc_channel_create_registered_call,                                              \
    (grpc_channel *, grpc_call *, uint32_t, grpc_completion_queue *, void *, gpr_timespec,         \
     void *))                                                                                      \
  X(void *, grpc_channel_register_call, (grpc_channel *, const char *, const char *, void *))      \
  X(void *, grpc_server_register_method,                                                           \
    (grpc_server *, const char *, const char *, grpc_server_register_method_payload_handling,      \
     uint32_t))                                                                                    \
  X(grpc_call_error, grpc_server_request_call,                                                     \
    (grpc_server *, grpc_call **, grpc_call_details *, grpc_metadata_array *,                      \
     grpc_completion_queue *, grpc_completion_queue *, void *))                                    \
  X(grpc_call_error, grpc_server_request_registered_call,                                          \
    (grpc_server *, void *, grpc_call **, gpr_timespec *, grpc_metadata_array *,                   \
     grpc_byte_buffer **, grpc_completion_queue *, grpc_completion_queue *, void *))               \
  X(grpc_event, grpc_completion_queue_next, (grpc_completion_queue *, gpr_timespec, void *))       \
  X(grpc_event, grpc_completion_queue_pluck,                                                       \
    (grpc_completion_queue *, void *, gpr_timespec, void *))                                       \
  X(int, grpc_completion_queue_thread_local_cache_flush,                                           \
    (grpc_completion_queue *, void **, int *))                                                     \
  X(grpc_completion_queue *, grpc_completion_queue_create_for_callback,                            \
    (grpc_completion_queue_functor *, void *))                                                     \
  X(grpc_completion_queue *, grpc_completion_queue_create,                                         \
    (const grpc_completion_queue_factory *, const grpc_completion_queue_attributes *, void *))     \
  X(void, grpc_completion_queue_destroy, (grpc_completion_queue *))                                \
  X(void, grpc_call_ref, (grpc_call *))                                                            \
  X(void, grpc_call_unref, (grpc_call *))                                                          \
  X(char *, grpc_call_get_peer, (grpc_call *))                                                     \
  X(grpc_slice, grpc_slice_from_copied_buffer, (const char *, size_t))                             \
  X(grpc_slice, grpc_slice_from_static_buffer, (const void *, size_t))                             \
  X(void, grpc_slice_unref, (grpc_slice))                                                          \
  X(void, gpr_free, (void *))

#define XTP_GRPC_SYM_ENUM(ret, name, params) XTP_GSYM_##name,
enum { XTP_GRPC_SYMBOLS(XTP_GRPC_SYM_ENUM) XTP_GSYM_COUNT };
#undef XTP_GRPC_SYM_ENUM

#define XTP_GRPC_SYM_TYPEDEF(ret, name, params) typedef ret(*name##_fn) params;
XTP_GRPC_SYMBOLS(XTP_GRPC_SYM_TYPEDEF)
#undef XTP_GRPC_SYM_TYPEDEF

/* The next definition after this library (libgrpc's), NULL if none. */
void *xtp_grpc_sym(int i);
#define GREAL(name) ((name##_fn)xtp_grpc_sym(XTP_GSYM_##name))

/* Context snapshots -------------------------------------------------------- */

/* A context as stored with a call: task and parents inline, items on the
 * heap only when there are any (they rarely are, and a full bg_items is
 * 8 KiB). */
typedef struct xtp_gsnap {
  uint64_t task;
  uint32_t nparents;
  uint64_t parents[BG_MAX_PARENTS];
  bg_items *items;
} xtp_gsnap;

void xtp_gsnap_take(xtp_gsnap *s, const bg_context *ctx);
void xtp_gsnap_put(const xtp_gsnap *s, bg_context *ctx);
void xtp_gsnap_copy(xtp_gsnap *dst, const xtp_gsnap *src);
void xtp_gsnap_free(xtp_gsnap *s);

/* Calls -------------------------------------------------------------------- */

enum { XTP_GCALL_CLIENT = 1, XTP_GCALL_SERVER = 2 };

typedef struct xtp_gcall {
  struct xtp_gcall *next; /* hash chain */
  grpc_call *call;
  int refs;                  /* the application's references, mirrored */
  int kind;                  /* XTP_GCALL_* */
  bool status_sent;          /* server: the reply is out, stop adopting */
  bool reply_edge;           /* server: the reply carries its event ID */
  grpc_completion_queue *cq; /* where its batches complete */
  char method[160];
  char peer[96];
  xtp_gsnap ctx; /* server: the call's context; client: the
                                  sender's, for a completion on another thread */
} xtp_gcall;

/* Outstanding tags: (queue, tag) -> what completing it means. */
enum { XTP_GTAG_NEW_CALL = 1, XTP_GTAG_CLIENT_STATUS = 2 };

typedef struct xtp_gtag {
  struct xtp_gtag *next;
  grpc_completion_queue *cq;
  void *tag;
  int kind;
  /* XTP_GTAG_NEW_CALL */
  grpc_call **callp;
  grpc_completion_queue *call_cq; /* where the new call's batches complete */
  grpc_metadata_array *md;
  grpc_call_details *details; /* unregistered methods: the path is here */
  const char *method;         /* registered methods: from the registration */
  /* XTP_GTAG_CLIENT_STATUS */
  grpc_call *call;
  grpc_metadata_array *trailing;
  grpc_status_code *status;
  uint64_t start_ns;
} xtp_gtag;

/* Tables (grpc/map.c). Lookups copy out under a short lock; no lock is held
 * when they return. */
int xtp_gtag_put(const xtp_gtag *t);
bool xtp_gtag_take(grpc_completion_queue *cq, void *tag, xtp_gtag *out);
/* Whether (cq, tag) is outstanding as an operation of this kind; the entry
 * stays. */
bool xtp_gtag_pending(grpc_completion_queue *cq, void *tag, int kind);

/* Registers a call with one reference; replaces a stale record for a reused
 * pointer. _new makes the record without registering it (the caller fills
 * it in first, then _insert registers it as _add does). */
xtp_gcall *xtp_gcall_new(grpc_call *call, int kind, grpc_completion_queue *cq, const char *method,
                         size_t method_len);
void xtp_gcall_insert(xtp_gcall *r);
int xtp_gcall_add(grpc_call *call, int kind, grpc_completion_queue *cq, const char *method,
                  size_t method_len);
/* Copies the record (snapshot items included; free with xtp_gsnap_free). */
bool xtp_gcall_get(grpc_call *call, xtp_gcall *out);
void xtp_gcall_set_ctx(grpc_call *call, const bg_context *ctx, bool status_sent);
/* reply_edge: a server call's reply is to carry its event ID; ctx, unless
 * NULL, is stored as by set_ctx. */
void xtp_gcall_set_peer(grpc_call *call, const char *peer, bool reply_edge, const bg_context *ctx);
void xtp_gcall_ref(grpc_call *call);
void xtp_gcall_unref(grpc_call *call);

/* Method paths by registration handle (channel or server registration). */
void xtp_gmethod_put(void *handle, const char *method);
const char *xtp_gmethod_get(void *handle);

/* Queues created for callbacks: their tags are functors that core calls
 * on its own threads instead of handing them to next/pluck. */
void xtp_gcq_mark_callback(grpc_completion_queue *cq);
bool xtp_gcq_is_callback(grpc_completion_queue *cq);
void xtp_gcq_forget(grpc_completion_queue *cq);

/* Metadata (grpc/md.c) ----------------------------------------------------- */

/* What the shim adds to one outgoing metadata list, owned by the shim until
 * the real call has returned. */
#define XTP_GMD_MAX 4
/* Lists up to this long (the caller's entries plus ours) stay on the stack. */
#define XTP_GMD_INLINE 8
typedef struct xtp_gmd_out {
  grpc_metadata *array; /* the caller's entries followed by ours */
  size_t count;
  size_t added;
  grpc_slice slices[XTP_GMD_MAX]; /* the values, to unref (the keys are static) */
  size_t nslices;
  grpc_metadata inline_array[XTP_GMD_INLINE];
} xtp_gmd_out;

/* What outgoing calls carry (XTRACE_GRPC_PROPAGATION), and whether every
 * server reply carries its event ID (XTRACE_GRPC_REPLY), read once. */
enum { XTP_GPROP_XTRACE = 1, XTP_GPROP_W3C = 2 };
unsigned xtp_gmd_propagation(void);
bool xtp_gmd_reply_always(void);

/* The request keys chosen for ctx, added to (md, n) unless already there. */
int xtp_gmd_build_request(xtp_gmd_out *out, const grpc_metadata *md, size_t n,
                          const bg_context *ctx);
/* The trailing xtrace_event_id of a server reply. */
int xtp_gmd_build_trailing(xtp_gmd_out *out, const grpc_metadata *md, size_t n, uint64_t event_id);
void xtp_gmd_release(xtp_gmd_out *out);

/* Decodes a request's context. Returns 1 when the call carries a context,
 * 0 when it carries none, and a negative errno when what it carries is
 * malformed (*why then names the key). *xtrace tells whether the context
 * came from the xtrace keys. */
int xtp_gmd_parse_request(const grpc_metadata_array *md, bg_context *out, const char **why,
                          bool *xtrace);
/* The trailing xtrace_event_id, or 0 (absent or malformed: *malformed set). */
uint64_t xtp_gmd_parse_trailing(const grpc_metadata_array *md, bool *malformed);

/* The recorded events (grpc/calls.c) --------------------------------------- */

/* Called by the dequeuing side (next, pluck, the TLS cache flush) for a tag that completed: the thread adopts or joins. */
void xtp_grpc_completed(grpc_completion_queue *cq, void *tag, int success);

/* Per-thread state (grpc/adopt.c) ------------------------------------------ */

/* A thread's adoption of a call's context. */
typedef struct xtp_gscope {
  bool active;
  grpc_call *call; /* the server call adopted; NULL for a client completion */
  xtp_gsnap base;  /* what the thread had before */
} xtp_gscope;

/* The thread takes on s (for a server call, or NULL), keeping what it had
 * before unless it already adopts something. */
void xtp_gadopt_snap(grpc_call *call, const xtp_gsnap *s);
bool xtp_gadopt_active(void);
/* Back to what the thread had before adopting. */
void xtp_gadopt_release(void);
/* As release, for a thread going back to its queue: a server call it
 * adopted keeps the thread's progress in its record first. */
void xtp_gadopt_release_before_wait(void);
/* The thread's space to decode a request's context into, or NULL. */
bg_context *xtp_gscratch(void);
/* A batch's copy of its ops and metadata (about 1.6 KiB) is past malloc's
 * per-thread cache, and a malloc and free of it cost more than the rest of
 * the batch hook: each thread keeps one block of XTP_GSPARE_BYTES for the
 * next batch. take returns it (NULL when the thread has none, or it is in
 * use by a batch further up the stack); keep gives it back, false when the
 * thread already has one (the caller frees p). */
#define XTP_GSPARE_BYTES 2048
void *xtp_gspare_take(void);
bool xtp_gspare_keep(void *p);

/* Around a callback queue's functor: set the thread's adoption aside,
 * adopt s (for call, or NULL), and put everything back afterwards (a server
 * call's progress is saved in its record first). */
void xtp_grpc_scope_enter(xtp_gscope *outer);
void xtp_grpc_scope_adopt(grpc_call *call, const xtp_gsnap *s);
void xtp_grpc_scope_leave(xtp_gscope *outer);

/* Callback queues (grpc/callback.c). The tag to give core for an operation
 * that completes on cq: tag itself, or on a callback queue a functor of the
 * shim's that runs the caller's functor with the operation's context (for a
 * new call, the context the call arrives with). Falls back to tag when out
 * of memory. wrap_capture records the calling thread's context as the
 * operation's; unwrap_tag frees the functor of an operation core refused.
 * Both are no-ops when wrapped == tag. */
void *xtp_grpc_wrap_tag(grpc_completion_queue *cq, void *tag, grpc_call *call, bool new_call);
void xtp_grpc_wrap_capture(void *wrapped, void *tag);
void xtp_grpc_unwrap_tag(void *wrapped, void *tag);

#ifdef __cplusplus
}
#endif
#endif
