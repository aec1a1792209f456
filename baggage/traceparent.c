/*
 * W3C Trace Context traceparent:
 *   version "-" trace-id(32 hex) "-" parent-id(16 hex) "-" trace-flags(2 hex)
 * Our trace-id is the task ID zero-extended to 128 bits. A trace started
 * elsewhere folds its two halves into a 63-bit task ID, deterministically, so
 * every process that sees the same trace-id lands in the same task.
 */
#include "baggage_int.h"

#define TP_LEN 55 /* version 00's exact length; the prefix of every version */

/* A 64-bit wire ID as a 63-bit context ID. The two inputs that would fold to
 * 0 (0 itself excluded by the callers, and 2^63) map to BG_ID_MAX instead so
 * they still name something. */
static uint64_t fold(uint64_t v) {
  v &= BG_ID_MAX;
  return v ? v : BG_ID_MAX;
}

int bg_traceparent_encode(const bg_context *ctx, char out[BG_TRACEPARENT_BUFSZ]) {
  out[0] = '\0';
  uint64_t parent = ctx->nparents ? ctx->parents[ctx->nparents - 1] : ctx->task_id;
  if (!bg__id_valid(ctx->task_id) || parent == 0) return -EINVAL;
  char *p = out;
  *p++ = '0', *p++ = '0', *p++ = '-';
  bg__put_hex16(0, p);
  bg__put_hex16(ctx->task_id, p + 16);
  p += 32;
  *p++ = '-';
  bg__put_hex16(parent, p);
  p += 16;
  /* Always sampled: a context only exists because the task is being traced. */
  *p++ = '-', *p++ = '0', *p++ = '1', *p = '\0';
  return TP_LEN;
}

/* Per the spec's versioning rules: version 00 is exactly 55 bytes; a later
 * version may append fields after a '-' at index 55, which we ignore; ff is
 * invalid. Everything is lower-case hex. */
int bg_traceparent_decode(bg_context *out, const char *s, size_t len) {
  uint64_t version, hi, lo, parent, flags;
  bg_context_clear(out);
  if (s == NULL || len < TP_LEN) return -EINVAL;
  if (!bg__parse_hex(s, 2, &version) || version == 0xff) return -EINVAL;
  if (version == 0 ? len != TP_LEN : (len > TP_LEN && s[TP_LEN] != '-')) return -EINVAL;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return -EINVAL;
  if (!bg__parse_hex(s + 3, 16, &hi) || !bg__parse_hex(s + 19, 16, &lo) ||
      !bg__parse_hex(s + 36, 16, &parent) || !bg__parse_hex(s + 53, 2, &flags))
    return -EINVAL;
  if ((hi | lo) == 0 || parent == 0) return -EINVAL;
  out->task_id = fold(hi ^ lo);
  bg_parents_set_one(out, fold(parent));
  return 0;
}
