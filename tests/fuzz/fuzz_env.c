/* XTRACE_BAGGAGE decoder: the whole context must round-trip. */
#include "fuzz_common.h"

static bg_context out, again;
static char buf[BG_ENV_BUFSZ];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (bg_env_decode(&out, (const char *)data, size) < 0) {
    fuzz_check_cleared(&out);
    return 0;
  }
  fuzz_check_context(&out);

  int n = bg_env_encode(&out, buf, sizeof buf);
  FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf));
  FUZZ_CHECK(bg_env_decode(&again, buf, (size_t)n) == 0);
  FUZZ_CHECK(fuzz_context_equal(&out, &again));
  return 0;
}
