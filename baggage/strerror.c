#include <errno.h>

#include "baggage/baggage.h"

/* Messages for exactly the codes libbaggage returns; the wording says what the
 * code means here rather than in libc's generic sense. */
const char *bg_strerror(int err) {
  switch (err < 0 ? -err : err) {
    case 0:
      return "success";
    case EINVAL:
      return "malformed input or invalid argument";
    case ENOSPC:
      return "output buffer or parent set too small";
    case E2BIG:
      return "over a context limit (64 items, 8192 bytes of baggage, 32 parents)";
    case ENOENT:
      return "no such baggage item";
    default:
      return "unknown baggage error";
  }
}
