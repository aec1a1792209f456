/*
 * Private helpers shared by the codecs: number formats and the item pool
 * primitives the W3C decoder needs beyond the public bg_items_set().
 */
#ifndef BAGGAGE_BAGGAGE_INT_H
#define BAGGAGE_BAGGAGE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baggage/baggage.h"

#define BG__HEX_ID_LEN 16

/* Strict decimal in [1, BG_ID_MAX]: digits only, overflow rejected. */
int bg__parse_dec_id(const char *s, size_t len, uint64_t *out);

/* Exactly n lower-case hex digits (n <= 16). */
bool bg__parse_hex(const char *s, size_t n, uint64_t *out);
/* Writes 16 lower-case hex digits, no NUL. */
void bg__put_hex16(uint64_t v, char *buf);

static inline bool bg__id_valid(uint64_t id) { return id != 0 && id <= (uint64_t)BG_ID_MAX; }

/* RFC 7230 tchar, the alphabet of W3C baggage keys. */
bool bg__is_tchar(unsigned char c);
bool bg__is_token(const char *s, size_t len);
/* W3C baggage-octet: what may appear unescaped in a value. */
bool bg__is_baggage_octet(unsigned char c);
/* Whether a value byte is written as itself ('%' is a baggage-octet but is
 * also the escape character, so it is always escaped). */
static inline bool bg__value_byte_plain(unsigned char c) {
  return c != '%' && bg__is_baggage_octet(c);
}

/* Length of one member "key=value[;props]" in the W3C encoding. */
size_t bg__item_encoded_len(const bg_items *items, const bg_item *it);
/* Length of the whole W3C encoding of the set, separators included. */
size_t bg__items_encoded_len(const bg_items *items);

/* Adds or replaces key with an already decoded value and verbatim properties.
 * The sources may lie in the unused tail of items->pool (the W3C decoder
 * decodes there in place). Same bounds and errors as bg_items_set(). */
int bg__items_put(bg_items *items, const char *key, size_t key_len, const char *value,
                  size_t value_len, const char *props, size_t props_len);

/* A bounded output cursor for the variable-length encoders: writes stop at
 * cap - 1 (room for the NUL) and remember that something did not fit. */
typedef struct bg__out {
  char *buf;
  size_t len, cap;
  bool full;
} bg__out;

static inline void bg__out_bytes(bg__out *o, const char *s, size_t n) {
  if (o->full || o->cap == 0 || n > o->cap - 1 - o->len) {
    o->full = true;
    return;
  }
  for (size_t i = 0; i < n; i++) o->buf[o->len + i] = s[i];
  o->len += n;
}

static inline void bg__out_char(bg__out *o, char c) { bg__out_bytes(o, &c, 1); }

/* NUL-terminates and returns the length, or on overflow leaves "" (so a
 * truncated header can never be sent by mistake) and returns -ENOSPC. */
static inline int bg__out_finish(bg__out *o) {
  if (o->cap == 0) return -ENOSPC;
  if (o->full || o->len > INT32_MAX) {
    o->buf[0] = '\0';
    return -ENOSPC;
  }
  o->buf[o->len] = '\0';
  return (int)o->len;
}

/* W3C baggage encoding of items appended to o (items_encode's body). */
void bg__w3c_baggage_write(bg__out *o, const bg_items *items);

#endif
