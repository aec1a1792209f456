/*
 * The small lexical pieces every codec shares: ID numbers in decimal and hex,
 * and the character classes of RFC 7230 tokens and W3C baggage values. Kept
 * out of <ctype.h> on purpose: these must not depend on the locale.
 */
#include <string.h>

#include "baggage_int.h"

int bg__parse_dec_id(const char *s, size_t len, uint64_t *out) {
  if (s == NULL || len == 0) return -EINVAL;
  /* Leading zeros are accepted (Go's ParseInt does). What follows them has at
   * most 19 digits, and any 19 digits fit a uint64_t without wrapping, so the
   * bound is one comparison at the end instead of a check per digit. */
  size_t i = 0;
  while (i < len && s[i] == '0') i++;
  if (len - i > 19) return -EINVAL;
  uint64_t v = 0;
  for (; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return -EINVAL;
    v = v * 10 + d;
  }
  if (v == 0 || v > (uint64_t)BG_ID_MAX) return -EINVAL;
  *out = v;
  return 0;
}

/* Two digits per division: IDs have 19 digits, and these encoders run on
 * the application's threads for every outgoing call. */
int bg_dec_encode(uint64_t v, char buf[BG_DEC_BUFSZ]) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char tmp[24];
  size_t n = sizeof tmp;
  while (v >= 100) {
    n -= 2;
    memcpy(tmp + n, pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    n -= 2;
    memcpy(tmp + n, pairs + 2 * v, 2);
  } else {
    tmp[--n] = (char)('0' + v);
  }
  size_t len = sizeof tmp - n;
  if (len > BG_DEC_BUFSZ - 1) { /* past BG_ID_MAX: keep the low digits, never overflow buf */
    n += len - (BG_DEC_BUFSZ - 1);
    len = BG_DEC_BUFSZ - 1;
  }
  memcpy(buf, tmp + n, len);
  buf[len] = '\0';
  return (int)len;
}

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1; /* upper case included: both W3C and XTRACE_BAGGAGE want lower */
}

bool bg__parse_hex(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = hex_value((unsigned char)s[i]);
    if (d < 0) return false;
    v = (v << 4) | (uint64_t)d;
  }
  *out = v;
  return true;
}

void bg__put_hex16(uint64_t v, char *buf) {
  static const char digits[] = "0123456789abcdef";
  for (int i = BG__HEX_ID_LEN - 1; i >= 0; i--, v >>= 4) buf[i] = digits[v & 0xf];
}

bool bg__is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool bg__is_token(const char *s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!bg__is_tchar((unsigned char)s[i])) return false;
  return true;
}

bool bg__is_baggage_octet(unsigned char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}
