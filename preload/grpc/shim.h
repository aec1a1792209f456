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
#ifndef XT_PRELOAD_GRPC_SHIM_H
#define XT_PRELOAD_GRPC_SHIM_H

#include <grpc/grpc.h>
#include <grpc/slice.h>

#ifdef __cplusplus
extern "C" {
#endif

/* common.h has no linkage block of its own. */
#include "common.h"

/* Real gRPC functions ------------------------------------------------------ */

#define XT_GRPC_SYMBOLS(X)                                                                    \
  X(grpc_call_error, grpc_call_start_batch, (grpc_call *, const grpc_op *, size_t, void *,     \
                                             void *))                                          \
  X(grpc_call *, grpc_channel_create_call, (grpc_channel *, grpc_call *, uint32_t,             \
                                            grpc_completion_queue *, grpc_slice,               \
                                            const grpc_slice *, gpr_timespec, void *))         \
  X(grpc_call *, grpc_channel_create_registered_call, (grpc_channel *, grpc_call *, uint32_t,  \
                                                       grpc_completion_queue *, void *,        \
                                                       gpr_timespec, void *))                  \
  X(void *, grpc_channel_register_call, (grpc_channel *, const char *, const char *, void *))  \
  X(void *, grpc_server_register_method, (grpc_server *, const char *, const char *,           \
                                          grpc_server_register_method_payload_handling,        \
                                          uint32_t))                                           \
  X(grpc_call_error, grpc_server_request_call, (grpc_server *, grpc_call **,                   \
                                                grpc_call_details *, grpc_metadata_array *,    \
                                                grpc_completion_queue *,                       \
                                                grpc_completion_queue *, void *))              \
  X(grpc_call_error, grpc_server_request_registered_call,                                      \
    (grpc_server *, void *, grpc_call **, gpr_timespec *, grpc_metadata_array *,               \
     grpc_byte_buffer **, grpc_completion_queue *, grpc_completion_queue *, void *))           \
  X(grpc_event, grpc_completion_queue_next, (grpc_completion_queue *, gpr_timespec, void *))   \
  X(grpc_event, grpc_completion_queue_pluck, (grpc_completion_queue *, void *, gpr_timespec,   \
                                              void *))                                         \
  X(int, grpc_completion_queue_thread_local_cache_flush, (grpc_completion_queue *, void **,    \
                                                          int *))                              \
  X(grpc_completion_queue *, grpc_completion_queue_create_for_callback,                        \
    (grpc_completion_queue_functor *, void *))                                                 \
  X(grpc_completion_queue *, grpc_completion_queue_create,                                     \
    (const grpc_completion_queue_factory *, const grpc_completion_queue_attributes *, void *))  \
  X(void, grpc_completion_queue_destroy, (grpc_completion_queue *))                            \
  X(void, grpc_call_ref, (grpc_call *))                                                        \
  X(void, grpc_call_unref, (grpc_call *))                                                      \
  X(char *, grpc_call_get_peer, (grpc_call *))                                                 \
  X(grpc_slice, grpc_slice_from_copied_buffer, (const char *, size_t))                         \
  X(void, grpc_slice_unref, (grpc_slice))                                                      \
  X(void, gpr_free, (void *))

#define XT_GRPC_SYM_ENUM(ret, name, params) XT_GSYM_##name,
enum { XT_GRPC_SYMBOLS(XT_GRPC_SYM_ENUM) XT_GSYM_COUNT };
#undef XT_GRPC_SYM_ENUM

#define XT_GRPC_SYM_TYPEDEF(ret, name, params) typedef ret(*name##_fn) params;
XT_GRPC_SYMBOLS(XT_GRPC_SYM_TYPEDEF)
#undef XT_GRPC_SYM_TYPEDEF

/* The next definition after this library (libgrpc's), NULL if none. */
void *xt__grpc_sym(int i);
#define GREAL(name) ((name##_fn)xt__grpc_sym(XT_GSYM_##name))

/* Context snapshots -------------------------------------------------------- */

/* A context as stored with a call: task and parents inline, items on the
 * heap only when there are any (they rarely are, and a full bg_items is
 * 8 KiB). */
typedef struct xt__gsnap {
  uint64_t task;
  uint32_t nparents;
  uint64_t parents[BG_MAX_PARENTS];
  bg_items *items;
} xt__gsnap;

void xt__gsnap_take(xt__gsnap *s, const bg_context *ctx);
void xt__gsnap_put(const xt__gsnap *s, bg_context *ctx);
void xt__gsnap_copy(xt__gsnap *dst, const xt__gsnap *src);
void xt__gsnap_free(xt__gsnap *s);

/* Calls -------------------------------------------------------------------- */

enum { XT_GCALL_CLIENT = 1, XT_GCALL_SERVER = 2 };

typedef struct xt__gcall {
  struct xt__gcall *next;      /* hash chain */
  grpc_call *call;
  int refs;                    /* the application's references, mirrored */
  int kind;                    /* XT_GCALL_* */
  bool status_sent;            /* server: the reply is out, stop adopting */
  bool reply_edge;             /* server: the reply carries its event ID */
  grpc_completion_queue *cq;   /* where its batches complete */
  char method[160];
  char peer[96];
  xt__gsnap ctx;               /* server: the call's context; client: the
                                  sender's, for a completion on another thread */
} xt__gcall;

/* Outstanding tags: (queue, tag) -> what completing it means. */
enum { XT_GTAG_NEW_CALL = 1, XT_GTAG_CLIENT_STATUS = 2 };

typedef struct xt__gtag {
  struct xt__gtag *next;
  grpc_completion_queue *cq;
  void *tag;
  int kind;
  /* XT_GTAG_NEW_CALL */
  grpc_call **callp;
  grpc_completion_queue *call_cq; /* where the new call's batches complete */
  grpc_metadata_array *md;
  grpc_call_details *details;  /* unregistered methods: the path is here */
  const char *method;          /* registered methods: from the registration */
  /* XT_GTAG_CLIENT_STATUS */
  grpc_call *call;
  grpc_metadata_array *trailing;
  grpc_status_code *status;
  uint64_t start_ns;
} xt__gtag;

/* Tables (grpc_map.c). Lookups copy out under a short lock; no lock is held
 * when they return. */
int xt__gtag_put(const xt__gtag *t);
bool xt__gtag_take(grpc_completion_queue *cq, void *tag, xt__gtag *out);
/* Whether (cq, tag) is outstanding as an operation of this kind; the entry
 * stays. */
bool xt__gtag_pending(grpc_completion_queue *cq, void *tag, int kind);

/* Registers a call with one reference; replaces a stale record for a reused
 * pointer. */
int xt__gcall_add(grpc_call *call, int kind, grpc_completion_queue *cq, const char *method,
                  size_t method_len);
/* Copies the record (snapshot items included; free with xt__gsnap_free). */
bool xt__gcall_get(grpc_call *call, xt__gcall *out);
void xt__gcall_set_ctx(grpc_call *call, const bg_context *ctx, bool status_sent);
/* reply_edge: a server call's reply is to carry its event ID. */
void xt__gcall_set_peer(grpc_call *call, const char *peer, bool reply_edge);
void xt__gcall_ref(grpc_call *call);
void xt__gcall_unref(grpc_call *call);

/* Method paths by registration handle (channel or server registration). */
void xt__gmethod_put(void *handle, const char *method);
const char *xt__gmethod_get(void *handle);

/* Queues created for callbacks: their tags are functors that core calls
 * on its own threads instead of handing them to next/pluck. */
void xt__gcq_mark_callback(grpc_completion_queue *cq);
bool xt__gcq_is_callback(grpc_completion_queue *cq);
void xt__gcq_forget(grpc_completion_queue *cq);

/* Metadata (grpc_md.c) ----------------------------------------------------- */

/* What the shim adds to one outgoing metadata list, owned by the shim until
 * the real call has returned. */
#define XT_GMD_MAX 4
/* Lists up to this long (the caller's entries plus ours) stay on the stack. */
#define XT_GMD_INLINE 8
typedef struct xt__gmd_out {
  grpc_metadata *array; /* the caller's entries followed by ours */
  size_t count;
  size_t added;
  grpc_slice slices[2 * XT_GMD_MAX];
  size_t nslices;
  grpc_metadata inline_array[XT_GMD_INLINE];
} xt__gmd_out;

/* What outgoing calls carry (XTRACE_GRPC_PROPAGATION), and whether every
 * server reply carries its event ID (XTRACE_GRPC_REPLY), read once. */
enum { XT_GPROP_XTRACE = 1, XT_GPROP_W3C = 2 };
unsigned xt__gmd_propagation(void);
bool xt__gmd_reply_always(void);

/* The request keys chosen for ctx, added to (md, n) unless already there. */
int xt__gmd_build_request(xt__gmd_out *out, const grpc_metadata *md, size_t n,
                          const bg_context *ctx);
/* The trailing xtrace_event_id of a server reply. */
int xt__gmd_build_trailing(xt__gmd_out *out, const grpc_metadata *md, size_t n,
                           uint64_t event_id);
void xt__gmd_release(xt__gmd_out *out);

/* Decodes a request's context. Returns 1 when the call carries a context,
 * 0 when it carries none, and a negative errno when what it carries is
 * malformed (*why then names the key). *xtrace tells whether the context
 * came from the xtrace keys. */
int xt__gmd_parse_request(const grpc_metadata_array *md, bg_context *out, const char **why,
                          bool *xtrace);
/* The trailing xtrace_event_id, or 0 (absent or malformed: *malformed set). */
uint64_t xt__gmd_parse_trailing(const grpc_metadata_array *md, bool *malformed);

/* The recorded events (grpc.c) --------------------------------------------- */

/* Called by the dequeuing side (next, pluck, the TLS cache flush) for a tag that completed: the thread adopts or joins. */
void xt__grpc_completed(grpc_completion_queue *cq, void *tag, int success);

/* Per-thread state (grpc_adopt.c) ------------------------------------------ */

/* A thread's adoption of a call's context. */
typedef struct xt__gscope {
  bool active;
  grpc_call *call; /* the server call adopted; NULL for a client completion */
  xt__gsnap base;  /* what the thread had before */
} xt__gscope;

/* The thread takes on s (for a server call, or NULL), keeping what it had
 * before unless it already adopts something. */
void xt__gadopt_snap(grpc_call *call, const xt__gsnap *s);
bool xt__gadopt_active(void);
/* Back to what the thread had before adopting. */
void xt__gadopt_release(void);
/* As release, for a thread going back to its queue: a server call it
 * adopted keeps the thread's progress in its record first. */
void xt__gadopt_release_before_wait(void);
/* The thread's space to decode a request's context into, or NULL. */
bg_context *xt__gscratch(void);

/* Around a callback queue's functor: set the thread's adoption aside,
 * adopt s (for call, or NULL), and put everything back afterwards (a server
 * call's progress is saved in its record first). */
void xt__grpc_scope_enter(xt__gscope *outer);
void xt__grpc_scope_adopt(grpc_call *call, const xt__gsnap *s);
void xt__grpc_scope_leave(xt__gscope *outer);

/* Callback queues (grpc_callback.c). The tag to give core for an operation
 * that completes on cq: tag itself, or on a callback queue a functor of the
 * shim's that runs the caller's functor with the operation's context (for a
 * new call, the context the call arrives with). Falls back to tag when out
 * of memory. wrap_capture records the calling thread's context as the
 * operation's; unwrap_tag frees the functor of an operation core refused.
 * Both are no-ops when wrapped == tag. */
void *xt__grpc_wrap_tag(grpc_completion_queue *cq, void *tag, grpc_call *call, bool new_call);
void xt__grpc_wrap_capture(void *wrapped, void *tag);
void xt__grpc_unwrap_tag(void *wrapped, void *tag);

#ifdef __cplusplus
}
#endif
#endif
