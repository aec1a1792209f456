/* W3C traceparent decoder, plus the encode -> decode fixed point. */
#include "fuzz_common.h"

static bg_context out, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (bg_traceparent_decode(&out, (const char *)data, size) < 0) {
    fuzz_check_cleared(&out);
    return 0;
  }
  fuzz_check_context(&out);
  FUZZ_CHECK(out.nparents == 1);

  char tp[BG_TRACEPARENT_BUFSZ];
  FUZZ_CHECK(bg_traceparent_encode(&out, tp) == BG_TRACEPARENT_BUFSZ - 1);
  FUZZ_CHECK(strlen(tp) == BG_TRACEPARENT_BUFSZ - 1);
  FUZZ_CHECK(bg_traceparent_decode(&again, tp, strlen(tp)) == 0);
  FUZZ_CHECK(fuzz_context_equal(&out, &again));
  return 0;
}
