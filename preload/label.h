/*
 * Labels and small values of the preload's own events, built by appending
 * into a caller's buffer. On the gRPC path snprintf cost more than the event
 * it labelled (about a thousand instructions per label, most of it parsing
 * the format); these appends are a memcpy each. Whatever does not fit is
 * cut, and the text is always NUL-terminated.
 */
#ifndef XTP_LABEL_H
#define XTP_LABEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <baggage/baggage.h>

typedef struct xtp_label {
  char *buf;
  size_t cap; /* > 0: room for the NUL is kept */
  size_t len;
} xtp_label;

static inline void xtp_label_init(xtp_label *l, char *buf, size_t cap) {
  l->buf = buf;
  l->cap = cap;
  l->len = 0;
  buf[0] = '\0';
}

static inline void xtp_label_mem(xtp_label *l, const char *s, size_t n) {
  size_t room = l->cap - 1 - l->len;
  if (n > room)
    n = room;
  memcpy(l->buf + l->len, s, n);
  l->len += n;
  l->buf[l->len] = '\0';
}

static inline void xtp_label_str(xtp_label *l, const char *s) { xtp_label_mem(l, s, strlen(s)); }

/* A string literal: its length is known, and the copy compiles to a few
 * stores (the gRPC labels are built per call, a handful of pieces each). */
#define xtp_label_lit(l, lit) xtp_label_mem((l), "" lit, sizeof(lit) - 1)

/* Appends each string argument in turn, up to a NULL. */
static inline void xtp_label_cat(xtp_label *l, ...) {
  va_list ap;
  va_start(ap, l);
  for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
    xtp_label_str(l, s);
  va_end(ap);
}

/* Decimal, by libbaggage's encoder: v at most BG_ID_MAX. */
static inline void xtp_label_u64(xtp_label *l, uint64_t v) {
  char dec[BG_DEC_BUFSZ];
  xtp_label_mem(l, dec, (size_t)bg_dec_encode(v, dec));
}

#endif
