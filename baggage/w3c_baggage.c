/*
 * W3C Baggage header value <-> items.
 *
 *   baggage-string = list-member *( OWS "," OWS list-member )
 *   list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
 *   property       = key OWS "=" OWS value / key OWS
 *
 * Values are percent-decoded on input and percent-encoded on output; the
 * properties are opaque to us and kept verbatim. Values are treated as bytes:
 * decoded octets that are not UTF-8 are kept as they are rather than replaced
 * with U+FFFD, so what comes in goes out unchanged.
 *
 * A malformed list-member rejects the whole header (-EINVAL), and a header
 * past the spec's limits (64 members, 8192 bytes) is rejected whole (-E2BIG):
 * silently propagating part of someone's baggage is worse than none, and the
 * caller counts the failure. A key that repeats keeps its last value.
 */
#include <string.h>

#include "baggage_int.h"

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static size_t skip_ows(const char *s, size_t i, size_t n) {
  while (i < n && is_ows(s[i])) i++;
  return i;
}

static size_t span_tchar(const char *s, size_t i, size_t n) {
  while (i < n && bg__is_tchar((unsigned char)s[i])) i++;
  return i;
}

static size_t span_octets(const char *s, size_t i, size_t n) {
  while (i < n && bg__is_baggage_octet((unsigned char)s[i])) i++;
  return i;
}

/* Percent-escapes may use either case (RFC 3986 says they are equivalent),
 * unlike the IDs of traceparent. */
static int hex_any(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes raw (already checked to be baggage-octets) into dst; dst may not
 * overlap raw. Returns the decoded length or -EINVAL for a bad escape. */
static int percent_decode(char *dst, const char *raw, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (raw[i] != '%') {
      dst[o++] = raw[i];
      continue;
    }
    int h = i + 2 < n ? hex_any((unsigned char)raw[i + 1]) : -1;
    int l = h >= 0 ? hex_any((unsigned char)raw[i + 2]) : -1;
    if (l < 0) return -EINVAL;
    dst[o++] = (char)(h << 4 | l);
    i += 2;
  }
  return (int)o;
}

/* Properties are checked against the grammar (so that what we re-emit is a
 * valid header) but otherwise not interpreted. p has no outer OWS. */
static bool props_valid(const char *p, size_t n) {
  size_t i = 0;
  for (;;) {
    i = skip_ows(p, i, n);
    size_t k = span_tchar(p, i, n);
    if (k == i) return false;
    i = skip_ows(p, k, n);
    if (i < n && p[i] == '=') i = span_octets(p, skip_ows(p, i + 1, n), n);
    i = skip_ows(p, i, n);
    if (i == n) return true;
    if (p[i] != ';') return false;
    i++;
  }
}

static int decode_member(bg_items *items, const char *m, size_t n) {
  size_t b = skip_ows(m, 0, n);
  while (n > b && is_ows(m[n - 1])) n--;
  size_t k = span_tchar(m, b, n);
  if (k == b) return -EINVAL;
  size_t i = skip_ows(m, k, n);
  if (i == n || m[i] != '=') return -EINVAL;
  size_t vb = skip_ows(m, i + 1, n);
  size_t ve = span_octets(m, vb, n);
  const char *props = "";
  size_t props_len = 0;
  i = skip_ows(m, ve, n);
  if (i < n) {
    if (m[i] != ';') return -EINVAL;
    props = m + skip_ows(m, i + 1, n);
    props_len = (size_t)(m + n - props);
    if (!props_valid(props, props_len)) return -EINVAL;
  }
  const char *key = m + b;
  size_t key_len = k - b;
  /* Dropping the earlier duplicate first keeps the pool's tail free for the
   * in-place decode below. */
  bg_items_remove(items, key, key_len);
  if (key_len + (ve - vb) + props_len > sizeof items->pool - items->used) return -E2BIG;
  char *value = items->pool + items->used + key_len;
  int value_len = percent_decode(value, m + vb, ve - vb);
  if (value_len < 0) return value_len;
  return bg__items_put(items, key, key_len, value, (size_t)value_len, props, props_len);
}

/* The header's length bounds the re-encoded size too: re-encoding drops OWS
 * and never lengthens a value (an octet written plain was plain or escaped on
 * input; one written escaped was escaped), so checking len here is enough. */
int bg_w3c_baggage_decode(bg_items *out, const char *s, size_t len) {
  bg_items_clear(out);
  if (s == NULL) return len ? -EINVAL : 0;
  if (len > BG_MAX_ITEMS_BYTES) return -E2BIG;
  if (skip_ows(s, 0, len) == len) return 0;
  size_t i = 0;
  for (;;) {
    const char *comma = memchr(s + i, ',', len - i);
    size_t end = comma ? (size_t)(comma - s) : len;
    int rc = decode_member(out, s + i, end - i);
    if (rc < 0) {
      bg_items_clear(out);
      return rc;
    }
    if (!comma) return 0;
    i = end + 1;
  }
}

static void write_value(bg__out *o, const char *v, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (bg__value_byte_plain(c)) {
      bg__out_char(o, (char)c);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 0xf]};
      bg__out_bytes(o, esc, 3);
    }
  }
}

void bg__w3c_baggage_write(bg__out *o, const bg_items *items) {
  for (int i = 0; i < items->count; i++) {
    const bg_item *it = &items->item[i];
    if (i) bg__out_char(o, ',');
    bg__out_bytes(o, items->pool + it->key_off, it->key_len);
    bg__out_char(o, '=');
    write_value(o, items->pool + it->value_off, it->value_len);
    if (it->props_len) {
      bg__out_char(o, ';');
      bg__out_bytes(o, items->pool + it->props_off, it->props_len);
    }
  }
}

int bg_w3c_baggage_encode(const bg_items *items, char *out, size_t cap) {
  bg__out o = {out, 0, cap, false};
  bg__w3c_baggage_write(&o, items);
  return bg__out_finish(&o);
}
