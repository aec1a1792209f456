/*
 * The small lexical pieces every codec shares: ID numbers in decimal and hex,
 * and the character classes of RFC 7230 tokens and W3C baggage values. Kept
 * out of <ctype.h> on purpose: these must not depend on the locale.
 */
#include <string.h>

#include "baggage_int.h"

/* Eight ASCII digits at once (SWAR; the first digit is the lowest byte, so
 * little-endian only): *out their value, false unless all are digits. A
 * request's IDs have 19 digits, and this runs for every incoming call. */
static bool eight_digits(const char *s, uint64_t *out) {
  uint64_t v;
  memcpy(&v, s, sizeof v);
  /* Every byte 0x30..0x39: high nibble 3, and still 3 after adding 6. */
  if (((v & 0xF0F0F0F0F0F0F0F0u) | (((v + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) !=
      0x3333333333333333u)
    return false;
  v -= 0x3030303030303030u;
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFu;      /* 4 two-digit lanes */
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFu;    /* 2 four-digit lanes */
  *out = (v * 10000 + (v >> 32)) & 0xFFFFFFFFu;
  return true;
}

int bg__parse_dec_id(const char *s, size_t len, uint64_t *out) {
  if (s == NULL || len == 0) return -EINVAL;
  /* Leading zeros are accepted (Go's ParseInt does). What follows them has at
   * most 19 digits, and any 19 digits fit a uint64_t without wrapping, so the
   * bound is one comparison at the end instead of a check per digit. */
  size_t i = 0;
  while (i < len && s[i] == '0') i++;
  if (len - i > 19) return -EINVAL;
  uint64_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (uint64_t e; len - i >= 8; i += 8) {
    if (!eight_digits(s + i, &e)) return -EINVAL;
    v = v * 100000000u + e;
  }
#endif
  for (; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return -EINVAL;
    v = v * 10 + d;
  }
  if (v == 0 || v > (uint64_t)BG_ID_MAX) return -EINVAL;
  *out = v;
  return 0;
}

int bg_dec_decode(const char *s, size_t len, uint64_t *out) { return bg__parse_dec_id(s, len, out); }

static const char dec_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Exactly eight digits of x < 10^8 at p, in 32-bit arithmetic. */
static void put8(char *p, uint32_t x) {
  uint32_t hi = x / 10000, lo = x % 10000;
  memcpy(p, dec_pairs + 2 * (hi / 100), 2);
  memcpy(p + 2, dec_pairs + 2 * (hi % 100), 2);
  memcpy(p + 4, dec_pairs + 2 * (lo / 100), 2);
  memcpy(p + 6, dec_pairs + 2 * (lo % 100), 2);
}

/* The digits of x < 10^8 at p, without leading zeros (at least one);
 * returns their count. */
static unsigned put_short(char *p, uint32_t x) {
  static const uint32_t pow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  /* floor(log10(x)) + 1, from the bit length (Bit Twiddling Hacks). */
  unsigned t = (32u - (unsigned)__builtin_clz(x | 1)) * 1233u >> 12;
  unsigned len = t + 1 - (x < pow10[t]);
  if (len == 0) len = 1; /* x == 0 */
  char *q = p + len;
  unsigned n = len;
  for (; n >= 2; n -= 2, x /= 100) {
    q -= 2;
    memcpy(q, dec_pairs + 2 * (x % 100), 2);
  }
  if (n) q[-1] = (char)('0' + x);
  return len;
}

/* IDs have 19 digits and these encoders run on the application's threads
 * for every outgoing call: the value is cut into eight-digit parts (two
 * 64-bit divisions at most), each written in 32-bit arithmetic, two digits
 * per step. */
int bg_dec_encode(uint64_t v, char buf[BG_DEC_BUFSZ]) {
  unsigned len;
  if (v < 100000000u) {
    len = put_short(buf, (uint32_t)v);
  } else if (v < 10000000000000000u) {
    len = put_short(buf, (uint32_t)(v / 100000000u));
    put8(buf + len, (uint32_t)(v % 100000000u));
    len += 8;
  } else {
    uint64_t top = v / 10000000000000000u, rest = v % 10000000000000000u;
    if (top >= 1000) {
      /* Past BG_ID_MAX (20 digits): keep the low 19, zeros included, never
       * overflow buf. */
      top %= 1000;
      memcpy(buf, dec_pairs + 2 * (top / 10), 2);
      buf[2] = (char)('0' + top % 10);
      len = 3;
    } else {
      len = put_short(buf, (uint32_t)top);
    }
    put8(buf + len, (uint32_t)(rest / 100000000u));
    put8(buf + len + 8, (uint32_t)(rest % 100000000u));
    len += 16;
  }
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

/* A byte at a time: IDs are encoded for every outgoing call. */
void bg__put_hex16(uint64_t v, char *buf) {
  static const char pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
      "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
  for (int i = BG__HEX_ID_LEN - 2; i >= 0; i -= 2, v >>= 8) memcpy(buf + i, pairs + 2 * (v & 0xff), 2);
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
