/*
 * gRPC metadata pair xtrace_task_id / xtrace_event_id, in the decimal form the
 * Go X-Trace client reads and writes. Only one event fits, so a multi-parent
 * context sends its most recent parent; the others are already ancestors of
 * the events the receiver will see through the collector.
 */
#include "baggage_int.h"

/* Returns the length of task. An inactive context (or one holding an ID
 * outside 1..BG_ID_MAX) has no decimal form: -EINVAL, both strings empty. */
int bg_xtrace_md_encode(const bg_context *ctx, char task[BG_DEC_BUFSZ], char event[BG_DEC_BUFSZ]) {
  task[0] = event[0] = '\0';
  uint64_t last = ctx->nparents ? ctx->parents[ctx->nparents - 1] : 0;
  if (!bg__id_valid(ctx->task_id) || (ctx->nparents && !bg__id_valid(last))) return -EINVAL;
  int n = bg_dec_encode(ctx->task_id, task);
  if (ctx->nparents) bg_dec_encode(last, event);
  return n;
}

int bg_xtrace_md_decode(bg_context *out, const char *task, size_t task_len, const char *event,
                        size_t event_len) {
  uint64_t t, e = 0;
  bg_context_clear(out);
  int rc = bg__parse_dec_id(task, task_len, &t);
  if (rc == 0 && event != NULL && event_len != 0) rc = bg__parse_dec_id(event, event_len, &e);
  if (rc < 0) return rc;
  out->task_id = t;
  bg_parents_set_one(out, e);
  return 0;
}
