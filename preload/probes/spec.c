/*
 * XTRACE_PROBES parsing: "[@ITEM ][lib:]name(type, ...)->type", separated by
 * ';' or newlines. Pure string work so it can be tested alone and run before
 * anything else of the library is up.
 */
#include "probes/probes.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct type_name {
  const char *name;
  xtp_ptkind kind;
  unsigned char size;
} type_name;

/* Names with their spaces collapsed to one, as norm_type leaves them. The
 * LP64 sizes are the ones of the only ABI the GOT patching supports. */
static const type_name types[] = {
    {"void", XTP_PT_VOID, 0},
    {"char", XTP_PT_SINT, 1},
    {"signed char", XTP_PT_SINT, 1},
    {"schar", XTP_PT_SINT, 1},
    {"int8", XTP_PT_SINT, 1},
    {"int8_t", XTP_PT_SINT, 1},
    {"unsigned char", XTP_PT_UINT, 1},
    {"uchar", XTP_PT_UINT, 1},
    {"uint8", XTP_PT_UINT, 1},
    {"uint8_t", XTP_PT_UINT, 1},
    {"bool", XTP_PT_UINT, 1},
    {"_Bool", XTP_PT_UINT, 1},
    {"short", XTP_PT_SINT, 2},
    {"int16", XTP_PT_SINT, 2},
    {"int16_t", XTP_PT_SINT, 2},
    {"unsigned short", XTP_PT_UINT, 2},
    {"ushort", XTP_PT_UINT, 2},
    {"uint16", XTP_PT_UINT, 2},
    {"uint16_t", XTP_PT_UINT, 2},
    {"int", XTP_PT_SINT, 4},
    {"signed", XTP_PT_SINT, 4},
    {"int32", XTP_PT_SINT, 4},
    {"int32_t", XTP_PT_SINT, 4},
    {"unsigned", XTP_PT_UINT, 4},
    {"unsigned int", XTP_PT_UINT, 4},
    {"uint", XTP_PT_UINT, 4},
    {"uint32", XTP_PT_UINT, 4},
    {"uint32_t", XTP_PT_UINT, 4},
    {"long", XTP_PT_SINT, 8},
    {"long long", XTP_PT_SINT, 8},
    {"llong", XTP_PT_SINT, 8},
    {"int64", XTP_PT_SINT, 8},
    {"int64_t", XTP_PT_SINT, 8},
    {"ssize_t", XTP_PT_SINT, 8},
    {"off_t", XTP_PT_SINT, 8},
    {"ptrdiff_t", XTP_PT_SINT, 8},
    {"intptr_t", XTP_PT_SINT, 8},
    {"unsigned long", XTP_PT_UINT, 8},
    {"unsigned long long", XTP_PT_UINT, 8},
    {"ulong", XTP_PT_UINT, 8},
    {"ullong", XTP_PT_UINT, 8},
    {"uint64", XTP_PT_UINT, 8},
    {"uint64_t", XTP_PT_UINT, 8},
    {"size_t", XTP_PT_UINT, 8},
    {"uintptr_t", XTP_PT_UINT, 8},
    {"float", XTP_PT_FLOAT, 4},
    {"double", XTP_PT_DOUBLE, 8},
    {"ptr", XTP_PT_PTR, 8},
    {"str", XTP_PT_STR, 8},
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const char **s, size_t *len) {
  while (*len && is_space(**s)) {
    (*s)++;
    (*len)--;
  }
  while (*len && is_space((*s)[*len - 1]))
    (*len)--;
}

/* "unsigned   long" and "unsigned long" name the same type. */
static bool parse_type(const char *s, size_t len, xtp_ptype *out) {
  char norm[32];
  size_t n = 0;
  trim(&s, &len);
  for (size_t i = 0; i < len; i++) {
    if (is_space(s[i]) && (n == 0 || norm[n - 1] == ' '))
      continue;
    if (n + 1 >= sizeof norm)
      return false;
    norm[n++] = is_space(s[i]) ? ' ' : s[i];
  }
  norm[n] = '\0';
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strcmp(norm, types[i].name) == 0) {
      out->kind = types[i].kind;
      out->size = types[i].size;
      return true;
    }
  }
  return false;
}

static bool is_ident(const char *s, size_t len) {
  if (!len || len >= XTP_PROBE_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 1; i < len; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
      return false;
  return true;
}

/* Baggage keys are W3C tokens; the ones worth typing are these. */
static bool is_item(const char *s, size_t len) {
  if (!len || len >= XTP_PROBE_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!(isalnum((unsigned char)s[i]) || strchr("_-.*", s[i])))
      return false;
  return true;
}

void xtp_probes_err(char *errors, size_t errcap, const char *what, size_t len, const char *why) {
  size_t used = strlen(errors);
  if (used + 1 >= errcap)
    return;
  if (len > 80)
    len = 80;
  snprintf(errors + used, errcap - used, "%s'%.*s': %s", used ? "; " : "", (int)len, what, why);
}

static const char *copy(char *dst, const char *s, size_t len) {
  memcpy(dst, s, len);
  dst[len] = '\0';
  return dst;
}

/* One spec, already trimmed and non-empty. Returns NULL or why it is bad. */
static const char *parse_one(const char *s, size_t len, xtp_probe_spec *p) {
  memset(p, 0, sizeof *p);
  if (s[0] == '@') {
    size_t n = 1;
    while (n < len && !is_space(s[n]))
      n++;
    if (!is_item(s + 1, n - 1))
      return "bad baggage item after '@'";
    copy(p->item, s + 1, n - 1);
    s += n;
    len -= n;
    trim(&s, &len);
  }
  const char *open = memchr(s, '(', len);
  if (!open)
    return "no '('";
  const char *close = memchr(open, ')', len - (size_t)(open - s));
  if (!close)
    return "no ')'";
  const char *head = s;
  size_t hlen = (size_t)(open - s);
  trim(&head, &hlen);
  const char *colon = NULL;
  for (size_t i = 0; i < hlen; i++)
    if (head[i] == ':')
      colon = head + i;
  if (colon) {
    size_t llen = (size_t)(colon - head);
    const char *lib = head;
    trim(&lib, &llen);
    if (!llen || llen >= XTP_PROBE_NAME_MAX)
      return "empty or long library name before ':'";
    copy(p->lib, lib, llen);
    hlen -= (size_t)(colon + 1 - head);
    head = colon + 1;
    trim(&head, &hlen);
  }
  if (!is_ident(head, hlen))
    return "bad function name";
  copy(p->name, head, hlen);

  const char *a = open + 1;
  size_t alen = (size_t)(close - a);
  trim(&a, &alen);
  xtp_ptype t;
  if (alen && !(parse_type(a, alen, &t) && t.kind == XTP_PT_VOID)) {
    for (;;) {
      const char *comma = memchr(a, ',', alen);
      size_t n = comma ? (size_t)(comma - a) : alen;
      const char *arg = a;
      size_t arglen = n;
      trim(&arg, &arglen);
      if (arglen == 3 && memcmp(arg, "...", 3) == 0)
        return "variadic functions cannot be probed";
      if (!parse_type(arg, arglen, &t))
        return "unknown argument type";
      if (t.kind == XTP_PT_VOID)
        return "void argument";
      if (p->nargs == XTP_PROBE_ARGS_MAX)
        return "more than 8 arguments";
      p->args[p->nargs++] = t;
      if (!comma)
        break;
      alen -= n + 1;
      a = comma + 1;
    }
  }

  const char *r = close + 1;
  size_t rlen = len - (size_t)(r - s);
  trim(&r, &rlen);
  if (rlen < 2 || r[0] != '-' || r[1] != '>')
    return "no '-> type' after the arguments";
  if (!parse_type(r + 2, rlen - 2, &p->ret))
    return "unknown return type";
  return NULL;
}

int xtp_probes_parse(const char *s, xtp_probe_spec *out, int max, char *errors, size_t errcap) {
  int n = 0;
  if (errcap)
    errors[0] = '\0';
  while (*s) {
    size_t len = strcspn(s, ";\n");
    const char *spec = s;
    size_t slen = len;
    s += len;
    if (*s)
      s++;
    trim(&spec, &slen);
    if (!slen)
      continue;
    const char *why = n < max ? parse_one(spec, slen, &out[n]) : "too many probes";
    if (why) {
      xtp_probes_err(errors, errcap, spec, slen, why);
      continue;
    }
    for (int i = 0; i < n && !why; i++)
      if (strcmp(out[i].name, out[n].name) == 0 && strcmp(out[i].lib, out[n].lib) == 0)
        why = "probed twice";
    if (why)
      xtp_probes_err(errors, errcap, spec, slen, why);
    else
      n++;
  }
  return n;
}
