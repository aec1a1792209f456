#include "json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xt__buf_init(xt__buf *b) { memset(b, 0, sizeof *b); }

void xt__buf_free(xt__buf *b) {
  free(b->data);
  xt__buf_init(b);
}

/* Keeps one spare byte so the contents can always be NUL-terminated. */
static int reserve(xt__buf *b, size_t n) {
  if (b->oom) return -1;
  if (b->len + n + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = 1;
      return -1;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void xt__buf_put(xt__buf *b, const void *p, size_t n) {
  if (n == 0 || reserve(b, n) < 0) return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

void xt__buf_puts(xt__buf *b, const char *s) { xt__buf_put(b, s, strlen(s)); }

void xt__buf_putc(xt__buf *b, char c) { xt__buf_put(b, &c, 1); }

void xt__buf_printf(xt__buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    xt__buf_put(b, tmp, (size_t)n);
    return;
  }
  if (reserve(b, (size_t)n) < 0) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *xt__buf_steal(xt__buf *b, size_t *len) {
  if (b->oom) {
    xt__buf_free(b);
    return NULL;
  }
  if (!b->data) reserve(b, 0);
  char *p = b->data;
  if (len) *len = b->len;
  xt__buf_init(b);
  return p;
}

/* Decodes one UTF-8 sequence at s[0..n). Returns its length and sets *cp, or
 * 0 if the bytes there are not valid UTF-8 (overlong forms, surrogates and
 * code points past U+10FFFF included). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

static const char replacement[] = "\xEF\xBF\xBD";

void xt__utf8_clean(xt__buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t k = utf8_next(s + i, n - i, &cp);
    if (k == 0) {
      xt__buf_put(b, replacement, 3);
      i++;
    } else {
      xt__buf_put(b, s + i, k);
      i += k;
    }
  }
}

void xt__json_str(xt__buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  xt__buf_putc(b, '"');
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    /* Copy runs of plain ASCII in one call: most labels are all plain. */
    while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\' &&
           s[run] != '<' && s[run] != '>' && s[run] != '&')
      run++;
    xt__buf_put(b, s + i, run - i);
    i = run;
    if (i >= n) break;
    uint32_t cp;
    size_t k = utf8_next(s + i, n - i, &cp);
    if (k == 0) {
      xt__buf_puts(b, "\\ufffd");
      i++;
      continue;
    }
    switch (cp) {
    case '"': xt__buf_puts(b, "\\\""); break;
    case '\\': xt__buf_puts(b, "\\\\"); break;
    case '\n': xt__buf_puts(b, "\\n"); break;
    case '\r': xt__buf_puts(b, "\\r"); break;
    case '\t': xt__buf_puts(b, "\\t"); break;
    default:
      /* U+2028/2029 end a line in older JavaScript, so they are escaped too. */
      if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029)
        xt__buf_printf(b, "\\u%04x", (unsigned)cp);
      else
        xt__buf_put(b, s + i, k);
    }
    i += k;
  }
  xt__buf_putc(b, '"');
}

void xt__json_cstr(xt__buf *b, const char *s) { xt__json_str(b, s ? s : "", s ? strlen(s) : 0); }

void xt__json_i64(xt__buf *b, int64_t v) { xt__buf_printf(b, "%" PRId64, v); }

void xt__json_u64(xt__buf *b, uint64_t v) { xt__buf_printf(b, "%" PRIu64, v); }

void xt__json_id_dec(xt__buf *b, int64_t v) { xt__buf_printf(b, "\"%" PRId64 "\"", v); }

void xt__json_id_hex(xt__buf *b, int64_t v) { xt__buf_printf(b, "\"%016" PRIx64 "\"", (uint64_t)v); }
