/* A growable byte buffer and the JSON writer built on it. Everything written
 * as a JSON string is attacker text (log lines, host names, tags), so the
 * escaping is strict: quotes, backslashes and control characters are escaped,
 * '<', '>' and '&' become \u escapes so the output can be embedded in HTML,
 * and invalid UTF-8 is replaced with U+FFFD. */
#ifndef XT_SERVER_JSON_H
#define XT_SERVER_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef struct xt__buf {
  char *data;
  size_t len;
  size_t cap;
  int oom; /* sticky: set once an allocation failed; writes become no-ops */
} xt__buf;

void xt__buf_init(xt__buf *b);
void xt__buf_free(xt__buf *b);
void xt__buf_put(xt__buf *b, const void *p, size_t n);
void xt__buf_puts(xt__buf *b, const char *s);
void xt__buf_putc(xt__buf *b, char c);
void xt__buf_printf(xt__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (NUL-terminated); the buffer is left empty. */
char *xt__buf_steal(xt__buf *b, size_t *len);

/* Appends s[0..n) as a quoted JSON string. */
void xt__json_str(xt__buf *b, const char *s, size_t n);
void xt__json_cstr(xt__buf *b, const char *s);
void xt__json_i64(xt__buf *b, int64_t v);
void xt__json_u64(xt__buf *b, uint64_t v);
/* Appends a 64-bit ID as a quoted decimal string (JS numbers lose bits). */
void xt__json_id_dec(xt__buf *b, int64_t v);
/* Appends a task ID as quoted 16 lowercase hex digits. */
void xt__json_id_hex(xt__buf *b, int64_t v);

/* Appends s[0..n) with invalid UTF-8 replaced by U+FFFD and no other change;
 * for the plain-text and DOT outputs, whose escaping differs. */
void xt__utf8_clean(xt__buf *b, const char *s, size_t n);

#endif
