/*
 * The context in gRPC metadata: the keys added to a request (xtrace_task_id,
 * xtrace_event_id, traceparent, baggage) and the trailing xtrace_event_id of
 * a reply, read back on the other side.
 *
 * Which request keys go out is the user's choice (XTRACE_GRPC_PROPAGATION);
 * whatever it is, all of them are read.
 *
 * The caller's metadata array is never written: the shim copies it into an
 * array of its own with room for its keys and passes that to the real
 * start_batch, which copies keys and takes references on values, so the
 * copy and the slices are released as soon as it returns. A key the
 * application already set is left as it is. Keys are lower-case literals
 * (always legal); values are digits, hex and W3C baggage, all printable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grpc/shim.h"

#define KEY_TASK "xtrace_task_id"
#define KEY_EVENT "xtrace_event_id"
#define KEY_TRACEPARENT "traceparent"
#define KEY_BAGGAGE "baggage"
/* Far below gRPC's default 8 KiB limit on received metadata, with room for
 * whatever the application sends itself; larger baggage is not sent. */
#define BAGGAGE_MAX 2048

/* Configuration ------------------------------------------------------------ */

/* Read on first use rather than at start-up: only a process that makes gRPC
 * calls needs it, and the hooks never run in signal handlers. Racing
 * first readers compute the same value. */
#define CFG_READ 0x100u
#define CFG_REPLY 0x200u
static unsigned cfg;

static bool word_is(const char *p, size_t n, const char *word) {
  return n == strlen(word) && strncasecmp(p, word, n) == 0;
}

/* Unknown words are ignored: "census" among them, since the server side
 * cannot read grpc-trace-bin (README, gRPC). */
static unsigned parse_propagation(const char *v) {
  if (!v || !*v)
    return XTP_GPROP_XTRACE | XTP_GPROP_W3C;
  unsigned f = 0;
  for (const char *p = v; *p;) {
    p += strspn(p, ", ");
    size_t n = strcspn(p, ", ");
    if (word_is(p, n, "xtrace"))
      f |= XTP_GPROP_XTRACE;
    else if (word_is(p, n, "w3c"))
      f |= XTP_GPROP_W3C;
    p += n;
  }
  return f;
}

static unsigned config(void) {
  unsigned c = __atomic_load_n(&cfg, __ATOMIC_RELAXED);
  if (c & CFG_READ)
    return c;
  c = parse_propagation(getenv("XTRACE_GRPC_PROPAGATION")) | CFG_READ;
  const char *r = getenv("XTRACE_GRPC_REPLY");
  if (r && strcmp(r, "1") == 0)
    c |= CFG_REPLY;
  __atomic_store_n(&cfg, c, __ATOMIC_RELAXED);
  return c;
}

unsigned xtp_gmd_propagation(void) { return config() & (XTP_GPROP_XTRACE | XTP_GPROP_W3C); }

bool xtp_gmd_reply_always(void) { return config() & CFG_REPLY; }

/* Keys ----------------------------------------------------------------------- */

static bool key_is(const grpc_slice *s, const char *key) {
  size_t n = strlen(key);
  return GRPC_SLICE_LENGTH(*s) == n && memcmp(GRPC_SLICE_START_PTR(*s), key, n) == 0;
}

static bool has_key(const grpc_metadata *md, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (key_is(&md[i].key, key))
      return true;
  return false;
}

static int start_copy(xtp_gmd_out *out, const grpc_metadata *md, size_t n) {
  out->count = out->added = out->nslices = 0;
  out->array = n + XTP_GMD_MAX <= XTP_GMD_INLINE ? out->inline_array
                                                 : malloc((n + XTP_GMD_MAX) * sizeof *out->array);
  if (!out->array)
    return -ENOMEM;
  if (n)
    memcpy(out->array, md, n * sizeof *md);
  out->count = n;
  return 0;
}

/* Appends key: value unless the caller's part of the list has the key.
 * The key is one of the literals above, which live as long as the process
 * (the preload is never unloaded): a static slice, which gRPC neither
 * copies nor counts references to. The value is copied, since gRPC keeps
 * it after start_batch returns. */
static void add(xtp_gmd_out *out, size_t caller_n, const char *key, size_t key_len,
                const char *value, size_t len) {
  if (has_key(out->array, caller_n, key) || out->added == XTP_GMD_MAX)
    return;
  grpc_slice_from_copied_buffer_fn mk = GREAL(grpc_slice_from_copied_buffer);
  grpc_slice_from_static_buffer_fn mk_static = GREAL(grpc_slice_from_static_buffer);
  if (!mk || !mk_static)
    return;
  grpc_metadata *m = &out->array[out->count];
  memset(m, 0, sizeof *m);
  m->key = mk_static(key, key_len);
  m->value = mk(value, len);
  out->slices[out->nslices++] = m->value;
  out->count++;
  out->added++;
}

int xtp_gmd_build_request(xtp_gmd_out *out, const grpc_metadata *md, size_t n,
                          const bg_context *ctx) {
  unsigned prop = xtp_gmd_propagation();
  if (!prop)
    return -ENODATA;
  int rc = start_copy(out, md, n);
  if (rc < 0)
    return rc;
  if (prop & XTP_GPROP_XTRACE) {
    char task[BG_DEC_BUFSZ], event[BG_DEC_BUFSZ];
    int tl = bg_xtrace_md_encode(ctx, task, event);
    if (tl < 0) {
      xtp_gmd_release(out);
      return tl;
    }
    add(out, n, KEY_TASK, sizeof KEY_TASK - 1, task, (size_t)tl);
    if (event[0])
      add(out, n, KEY_EVENT, sizeof KEY_EVENT - 1, event, strlen(event));
  }
  if (!(prop & XTP_GPROP_W3C))
    return 0;
  char tp[BG_TRACEPARENT_BUFSZ];
  int pl = bg_traceparent_encode(ctx, tp);
  if (pl > 0)
    add(out, n, KEY_TRACEPARENT, sizeof KEY_TRACEPARENT - 1, tp, (size_t)pl);
  /* On the heap: the hook's whole stack stays within 2 KiB, and baggage
   * is rare. */
  char *bag = ctx->items.count ? malloc(BAGGAGE_MAX) : NULL;
  if (bag) {
    int bl = bg_w3c_baggage_encode(&ctx->items, bag, BAGGAGE_MAX);
    if (bl > 0)
      add(out, n, KEY_BAGGAGE, sizeof KEY_BAGGAGE - 1, bag, (size_t)bl);
    free(bag);
  }
  return 0;
}

int xtp_gmd_build_trailing(xtp_gmd_out *out, const grpc_metadata *md, size_t n, uint64_t event_id) {
  char ev[BG_DEC_BUFSZ];
  int rc = start_copy(out, md, n);
  if (rc < 0)
    return rc;
  add(out, n, KEY_EVENT, sizeof KEY_EVENT - 1, ev, (size_t)bg_dec_encode(event_id, ev));
  return 0;
}

void xtp_gmd_release(xtp_gmd_out *out) {
  grpc_slice_unref_fn unref = GREAL(grpc_slice_unref);
  for (size_t i = 0; unref && i < out->nslices; i++)
    unref(out->slices[i]);
  if (out->array != out->inline_array)
    free(out->array);
  out->array = NULL;
  out->nslices = 0;
}

/* Reading ------------------------------------------------------------------ */

typedef struct found {
  const grpc_slice *v;
  int count;
} found;

static void note(found *f, const grpc_metadata *m) {
  f->count++;
  f->v = &m->value;
}

#define SLICE_ARGS(s) (const char *)GRPC_SLICE_START_PTR(*(s)), GRPC_SLICE_LENGTH(*(s))

int xtp_gmd_parse_request(const grpc_metadata_array *md, bg_context *out, const char **why,
                          bool *xtrace) {
  found task = {0}, event = {0}, tp = {0}, bag = {0};
  *why = NULL;
  *xtrace = false;
  for (size_t i = 0; i < md->count; i++) {
    const grpc_metadata *m = &md->metadata[i];
    if (key_is(&m->key, KEY_TASK))
      note(&task, m);
    else if (key_is(&m->key, KEY_EVENT))
      note(&event, m);
    else if (key_is(&m->key, KEY_TRACEPARENT))
      note(&tp, m);
    else if (key_is(&m->key, KEY_BAGGAGE))
      note(&bag, m);
  }
  int have = 0;
  /* A repeated key is ambiguous: which copy is the sender's? Neither. */
  if (task.count > 1 || event.count > 1) {
    *why = task.count > 1 ? KEY_TASK : KEY_EVENT;
  } else if (task.count) {
    const char *ev = event.count ? (const char *)GRPC_SLICE_START_PTR(*event.v) : NULL;
    size_t evlen = event.count ? GRPC_SLICE_LENGTH(*event.v) : 0;
    if (bg_xtrace_md_decode(out, SLICE_ARGS(task.v), ev, evlen) == 0) {
      have = 1;
      *xtrace = true;
    } else {
      *why = KEY_TASK;
    }
  } else if (event.count) {
    *why = KEY_EVENT; /* an event without its task names nothing */
  }
  if (!have && tp.count && !*why) {
    if (tp.count == 1 && bg_traceparent_decode(out, SLICE_ARGS(tp.v)) == 0)
      have = 1;
    else
      *why = KEY_TRACEPARENT;
  }
  if (have && bag.count) {
    if (bag.count > 1 || GRPC_SLICE_LENGTH(*bag.v) > BG_MAX_ITEMS_BYTES ||
        bg_w3c_baggage_decode(&out->items, SLICE_ARGS(bag.v)) < 0) {
      bg_items_clear(&out->items);
      *why = KEY_BAGGAGE;
    }
  }
  if (!have)
    bg_context_clear(out);
  return have;
}

uint64_t xtp_gmd_parse_trailing(const grpc_metadata_array *md, bool *malformed) {
  found event = {0};
  *malformed = false;
  for (size_t i = 0; i < md->count; i++)
    if (key_is(&md->metadata[i].key, KEY_EVENT))
      note(&event, &md->metadata[i]);
  if (!event.count)
    return 0;
  /* What bg_xtrace_md_decode accepts for an event, without a whole context
   * to decode into. */
  uint64_t id = 0;
  if (event.count == 1 && bg_dec_decode(SLICE_ARGS(event.v), &id) < 0)
    id = 0;
  *malformed = id == 0;
  return id;
}
