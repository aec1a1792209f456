/*
 * XTRACE_BAGGAGE, the context handed to child processes through the
 * environment:
 *   "1;" <task: 16 hex> ";" [<parent: 16 hex> *("," <parent>)] ";" <W3C baggage>
 * Unlike the RPC encodings it carries every parent, so a forked or exec'd
 * child continues from exactly the parent's causal position. Fixed-width
 * lower-case hex keeps the parser trivial; the leading "1" is a format
 * version so a later layout can be told apart.
 */
#include "baggage_int.h"

#define ENV_HEAD 19 /* "1;" + 16 hex + ";" */

int bg_env_encode(const bg_context *ctx, char *out, size_t cap) {
  bg__out o = {out, 0, cap, false};
  char hex[BG__HEX_ID_LEN];
  if (!bg__id_valid(ctx->task_id) || ctx->nparents > BG_MAX_PARENTS) {
    if (cap) out[0] = '\0';
    return -EINVAL;
  }
  for (uint32_t i = 0; i < ctx->nparents; i++) {
    if (!bg__id_valid(ctx->parents[i])) {
      if (cap) out[0] = '\0';
      return -EINVAL;
    }
  }
  bg__out_bytes(&o, "1;", 2);
  bg__put_hex16(ctx->task_id, hex);
  bg__out_bytes(&o, hex, sizeof hex);
  bg__out_char(&o, ';');
  for (uint32_t i = 0; i < ctx->nparents; i++) {
    if (i) bg__out_char(&o, ',');
    bg__put_hex16(ctx->parents[i], hex);
    bg__out_bytes(&o, hex, sizeof hex);
  }
  bg__out_char(&o, ';');
  bg__w3c_baggage_write(&o, &ctx->items);
  return bg__out_finish(&o);
}

/* Parses the parent list starting at *i, through its closing ';'. */
static int decode_parents(bg_context *out, const char *s, size_t len, size_t *i) {
  size_t p = *i;
  if (p < len && s[p] == ';') {
    *i = p + 1;
    return 0;
  }
  for (;;) {
    uint64_t id;
    if (len - p < BG__HEX_ID_LEN + 1 || !bg__parse_hex(s + p, BG__HEX_ID_LEN, &id) ||
        !bg__id_valid(id) || bg_parents_contains(out, id))
      return -EINVAL;
    if (out->nparents == BG_MAX_PARENTS) return -E2BIG;
    out->parents[out->nparents++] = id;
    p += BG__HEX_ID_LEN;
    if (s[p] == ';') break;
    if (s[p] != ',') return -EINVAL;
    p++;
  }
  *i = p + 1;
  return 0;
}

int bg_env_decode(bg_context *out, const char *s, size_t len) {
  uint64_t task;
  size_t i = ENV_HEAD;
  bg_context_clear(out);
  if (s == NULL || len < ENV_HEAD + 1 || s[0] != '1' || s[1] != ';' || s[ENV_HEAD - 1] != ';')
    return -EINVAL;
  if (!bg__parse_hex(s + 2, BG__HEX_ID_LEN, &task) || !bg__id_valid(task)) return -EINVAL;
  out->task_id = task;
  int rc = decode_parents(out, s, len, &i);
  if (rc == 0) rc = bg_w3c_baggage_decode(&out->items, s + i, len - i);
  if (rc < 0) bg_context_clear(out);
  return rc;
}
