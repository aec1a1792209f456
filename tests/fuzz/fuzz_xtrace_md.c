/* xtrace_task_id / xtrace_event_id: the input is the task value, then a NUL,
 * then the event value (no NUL: no event). */
#include "fuzz_common.h"

static bg_context out, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  const char *nul = size ? memchr(s, '\0', size) : NULL;
  size_t task_len = nul ? (size_t)(nul - s) : size;
  const char *event = nul ? nul + 1 : NULL;
  size_t event_len = nul ? size - task_len - 1 : 0;

  if (bg_xtrace_md_decode(&out, s, task_len, event, event_len) < 0) {
    fuzz_check_cleared(&out);
    return 0;
  }
  fuzz_check_context(&out);
  FUZZ_CHECK(out.nparents <= 1);

  char task[BG_DEC_BUFSZ], ev[BG_DEC_BUFSZ];
  int n = bg_xtrace_md_encode(&out, task, ev);
  FUZZ_CHECK(n > 0 && (size_t)n == strlen(task));
  FUZZ_CHECK(bg_xtrace_md_decode(&again, task, (size_t)n, ev, strlen(ev)) == 0);
  FUZZ_CHECK(fuzz_context_equal(&out, &again));
  return 0;
}
