/* W3C baggage decoder. Besides the round trip it checks the property the
 * decoder's byte bound relies on: re-encoding never lengthens a header. */
#include "fuzz_common.h"

static bg_items out, again;
static char buf[BG_MAX_ITEMS_BYTES + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (bg_w3c_baggage_decode(&out, (const char *)data, size) < 0) {
    FUZZ_CHECK(out.count == 0 && out.used == 0);
    return 0;
  }
  fuzz_check_items(&out);

  int n = bg_w3c_baggage_encode(&out, buf, sizeof buf);
  FUZZ_CHECK(n >= 0 && (size_t)n <= size && (size_t)n == strlen(buf));
  FUZZ_CHECK(bg_w3c_baggage_decode(&again, buf, (size_t)n) == 0);
  FUZZ_CHECK(fuzz_items_equal(&out, &again));
  return 0;
}
