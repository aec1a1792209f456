/*
 * The small lexical pieces every codec shares: ID numbers in decimal and hex,
 * and the character classes of RFC 7230 tokens and W3C baggage values. Kept
 * out of <ctype.h> on purpose: these must not depend on the locale.
 */
#include "baggage_int.h"

int bg__parse_dec_id(const char *s, size_t len, uint64_t *out) {
  if (s == NULL || len == 0) return -EINVAL;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return -EINVAL;
    /* Leading zeros are accepted (Go's ParseInt does); the bound is on the
     * value, checked before the multiply so nothing wraps. */
    if (v > ((uint64_t)BG_ID_MAX - d) / 10) return -EINVAL;
    v = v * 10 + d;
  }
  if (v == 0) return -EINVAL;
  *out = v;
  return 0;
}

int bg__put_dec(uint64_t v, char *buf) {
  char tmp[BG_DEC_BUFSZ];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < BG_DEC_BUFSZ - 1);
  for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
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
