/*
 * The context as a value: clearing, copying, starting a task, and the parent
 * set. Parents keep insertion order so the last one is the most recent event,
 * which is what the single-parent encodings (xtrace_event_id, traceparent)
 * carry.
 */
#include <string.h>

#include "baggage_int.h"

/* Only the counts are reset: the arrays behind them are dead bytes, and
 * skipping ~8 KiB of memset matters on the hook path. */
void bg_context_clear(bg_context *ctx) {
  ctx->task_id = 0;
  ctx->nparents = 0;
  bg_items_clear(&ctx->items);
}

void bg_context_copy(bg_context *dst, const bg_context *src) {
  if (dst == src) return;
  dst->task_id = src->task_id;
  dst->nparents = src->nparents;
  memcpy(dst->parents, src->parents, src->nparents * sizeof src->parents[0]);
  dst->items.count = src->items.count;
  dst->items.used = src->items.used;
  memcpy(dst->items.item, src->items.item, src->items.count * sizeof src->items.item[0]);
  memcpy(dst->items.pool, src->items.pool, src->items.used);
}

uint64_t bg_context_start_task(bg_context *ctx) {
  ctx->task_id = bg_id_fresh();
  ctx->nparents = 0;
  return ctx->task_id;
}

/* A zero event_id empties the set: 0 is never an event, so there is nothing
 * to point at. */
void bg_parents_set_one(bg_context *ctx, uint64_t event_id) {
  ctx->nparents = 0;
  if (event_id != 0) ctx->parents[ctx->nparents++] = event_id;
}

bool bg_parents_contains(const bg_context *ctx, uint64_t id) {
  for (uint32_t i = 0; i < ctx->nparents; i++)
    if (ctx->parents[i] == id) return true;
  return false;
}

static bool seen_before(const uint64_t *ids, size_t i) {
  for (size_t j = 0; j < i; j++)
    if (ids[j] == ids[i]) return true;
  return false;
}

static bool is_new(const bg_context *ctx, const uint64_t *ids, size_t i) {
  return ids[i] != 0 && !bg_parents_contains(ctx, ids[i]) && !seen_before(ids, i);
}

/* Two passes so that a union which does not fit changes nothing: a caller
 * that gets -ENOSPC emits a join event and retries from a known state. */
int bg_parents_union(bg_context *ctx, const uint64_t *ids, size_t n) {
  size_t added = 0;
  for (size_t i = 0; i < n; i++)
    if (is_new(ctx, ids, i) && ctx->nparents + ++added > BG_MAX_PARENTS) return -ENOSPC;
  for (size_t i = 0; i < n; i++)
    if (is_new(ctx, ids, i)) ctx->parents[ctx->nparents++] = ids[i];
  return (int)ctx->nparents;
}
