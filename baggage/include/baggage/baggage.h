/*
 * libbaggage: the X-Trace context carried by a thread, a call or a process, and
 * the codecs that move it across boundaries. No I/O, no locks, no allocation:
 * everything works on caller-provided memory, so the preload can use it on any
 * thread, including before the C library is fully initialised.
 *
 * Functions return 0 or a non-negative count on success and a negative errno
 * value on failure (see bg_strerror()).
 */
#ifndef BAGGAGE_BAGGAGE_H
#define BAGGAGE_BAGGAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* IDs are 63-bit positive so that decimal, signed and unsigned forms agree. */
#define BG_ID_MAX INT64_MAX

/* Capacity of a parent set. Joins collapse the set with a join event once it
 * passes BG_JOIN_THRESHOLD, so a union of two collapsed sets always fits. */
#define BG_MAX_PARENTS 32
#define BG_JOIN_THRESHOLD 10

/* Baggage bounds: W3C Baggage's own limits (64 list-members, 8192 bytes). */
#define BG_MAX_ITEMS 64
#define BG_MAX_ITEMS_BYTES 8192

/* Buffer sizes for the fixed-width encodings, terminating NUL included. */
#define BG_DEC_BUFSZ 20          /* "9223372036854775807" */
#define BG_TRACEPARENT_BUFSZ 56  /* "00-" 32 "-" 16 "-01" */
/* XTRACE_BAGGAGE: "1;" task ";" parents ";" W3C baggage. */
#define BG_ENV_BUFSZ (2 + 17 + BG_MAX_PARENTS * 17 + 1 + BG_MAX_ITEMS_BYTES + 1)

/* Where an item's strings live inside bg_items.pool. */
typedef struct bg_item {
  uint16_t key_off, key_len;
  uint16_t value_off, value_len;  /* percent-decoded value */
  uint16_t props_off, props_len;  /* W3C properties, kept verbatim after ';' */
} bg_item;

/* Baggage items: small key/value strings carried with the task. The pool holds
 * decoded bytes, which are never longer than their W3C encoding, so a set whose
 * encoding fits BG_MAX_ITEMS_BYTES always fits the pool. */
typedef struct bg_items {
  uint16_t count;
  uint16_t used;  /* bytes of pool in use */
  bg_item item[BG_MAX_ITEMS];
  char pool[BG_MAX_ITEMS_BYTES];
} bg_items;

/* A thread's (or a call's, or a process's) causal position. task_id == 0 means
 * "no task": nothing is recorded. parents are the events that precede "now". */
typedef struct bg_context {
  uint64_t task_id;
  uint32_t nparents;
  uint64_t parents[BG_MAX_PARENTS];
  bg_items items;
} bg_context;

const char *bg_strerror(int err);

/* IDs ---------------------------------------------------------------------- */

/* A fresh random ID in [1, BG_ID_MAX]. Lock-free and syscall-free after the
 * first call on a thread: a per-thread generator seeded from arc4random. */
uint64_t bg_id_fresh(void);

/* The decimal form of v (at most BG_ID_MAX, 19 digits) and a NUL; returns
 * its length. The codecs write IDs with it; anything else counted in 63
 * bits (a latency in µs) may use it too. */
int bg_dec_encode(uint64_t v, char out[BG_DEC_BUFSZ]);

/* An ID in decimal, as the xtrace keys carry it: digits only (leading zeros
 * allowed), 1..BG_ID_MAX. 0 and *out set, or -EINVAL. */
int bg_dec_decode(const char *s, size_t len, uint64_t *out);

/* Makes every thread's generator reseed before its next ID. A forked child
 * calls it so that parent and child never produce the same sequence. */
void bg_id_reseed_all(void);

/* Context ------------------------------------------------------------------ */

void bg_context_clear(bg_context *ctx);
static inline bool bg_context_active(const bg_context *ctx) { return ctx->task_id != 0; }

/* Copies only the used part of the item pool, so an empty context is cheap. */
void bg_context_copy(bg_context *dst, const bg_context *src);

/* Starts a new task: fresh task ID, no parents, items kept. */
uint64_t bg_context_start_task(bg_context *ctx);

/* Parents become exactly {event_id} ({} when event_id is 0). */
void bg_parents_set_one(bg_context *ctx, uint64_t event_id);

/* Adds ids not already present. Returns the new count, or -ENOSPC (and leaves
 * the set unchanged) if the union would exceed BG_MAX_PARENTS. Zero ids are
 * skipped. */
int bg_parents_union(bg_context *ctx, const uint64_t *ids, size_t n);

bool bg_parents_contains(const bg_context *ctx, uint64_t id);

/* Items -------------------------------------------------------------------- */

void bg_items_clear(bg_items *items);

/* Adds or replaces key. Keys must be W3C tokens; values any bytes. -EINVAL for
 * a bad key, -E2BIG if the set would pass BG_MAX_ITEMS or its W3C encoding
 * BG_MAX_ITEMS_BYTES (the set is then unchanged). A replaced item loses its
 * W3C properties and moves to the end of the set. key and value must not point
 * into items->pool (copy a value out of the set before setting it back). */
int bg_items_set(bg_items *items, const char *key, size_t key_len, const char *value,
                 size_t value_len);

/* 0 and the value's bytes (not NUL-terminated), or -ENOENT. */
int bg_items_get(const bg_items *items, const char *key, size_t key_len, const char **value,
                 size_t *value_len);

int bg_items_remove(bg_items *items, const char *key, size_t key_len);

/* Codecs: each decoder is total (any bytes in: a context or an error, never a
 * read outside [s, s+len)); it returns 0, and on error the output is left
 * cleared. Encoders return the length written (NUL excluded) or -ENOSPC (the
 * output is then ""), and -EINVAL for a context they cannot express: no task,
 * or an ID outside 1..BG_ID_MAX. The input of a decoder must not alias its
 * output. ------------------------------------------------------------------- */

/* gRPC metadata pair xtrace_task_id / xtrace_event_id, decimal 1..2^63-1, as the
 * Go X-Trace client writes them. The event written is the most recent parent. A
 * context with no parents encodes event as "" (length 0). Encoding returns the
 * length of task. Decoding accepts a missing event (event == NULL or
 * event_len == 0): the context has no parents; a present but malformed event
 * rejects the pair. Digits only (leading zeros allowed), no sign or space. */
int bg_xtrace_md_encode(const bg_context *ctx, char task[BG_DEC_BUFSZ], char event[BG_DEC_BUFSZ]);
int bg_xtrace_md_decode(bg_context *out, const char *task, size_t task_len, const char *event,
                        size_t event_len);

/* W3C traceparent. trace-id = 16 zero hex digits + task ID; parent-id = the
 * most recent parent (or the task ID when there is none); flags 01. A foreign
 * trace-id (non-zero upper half) maps to the task ID (hi ^ lo) & BG_ID_MAX, so
 * every process seeing the same trace-id agrees on the task; the parent-id
 * becomes parent & BG_ID_MAX. Either fold giving 0 yields BG_ID_MAX instead. */
int bg_traceparent_encode(const bg_context *ctx, char out[BG_TRACEPARENT_BUFSZ]);
int bg_traceparent_decode(bg_context *out, const char *s, size_t len);

/* W3C baggage header value <-> items. Decoding rejects the whole header: -EINVAL
 * for any malformed list-member or bad percent-escape, -E2BIG past 64 members
 * or 8192 bytes; empty or all-whitespace input is an empty set; a repeated key
 * keeps its last value. Encoding escapes every byte outside the spec's
 * baggage-octet set, and '%', as %XX. */
int bg_w3c_baggage_encode(const bg_items *items, char *out, size_t cap);
int bg_w3c_baggage_decode(bg_items *out, const char *s, size_t len);

/* XTRACE_BAGGAGE environment form: "1;<task hex>;<parent hex>[,<parent hex>...];
 * <W3C baggage>", each ID exactly 16 lower-case hex digits, the parent list
 * possibly empty ("1;<task>;;"). Round-trips the whole context. Decoding
 * rejects duplicate parents (-EINVAL) and more than BG_MAX_PARENTS (-E2BIG). */
int bg_env_encode(const bg_context *ctx, char *out, size_t cap);
int bg_env_decode(bg_context *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
