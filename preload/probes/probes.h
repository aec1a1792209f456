/*
 * Dynamic probes (XTRACE_PROBES): library functions named by signature whose
 * calls become an entry and a return event. The parser is pure (no libffi,
 * no client) so the unit tests can take it alone. Private to preload/.
 */
#ifndef XT_PRELOAD_PROBES_H
#define XT_PRELOAD_PROBES_H

#include <stdbool.h>
#include <stddef.h>

#include <xtrace/xtrace.h>

#define XT_PROBES_MAX 32
#define XT_PROBE_ARGS_MAX 8
#define XT_PROBE_NAME_MAX 128
#define XT_PROBE_ERRORS_MAX 1024

/* How a value is passed and printed. size is in bytes for the integers. */
typedef enum xt__ptkind {
  XT_PT_VOID,
  XT_PT_SINT,
  XT_PT_UINT,
  XT_PT_FLOAT,
  XT_PT_DOUBLE,
  XT_PT_PTR, /* printed as an address */
  XT_PT_STR, /* NUL-terminated, printed bounded and escaped */
} xt__ptkind;

typedef struct xt__ptype {
  xt__ptkind kind;
  unsigned char size;
} xt__ptype;

typedef struct xt__probe_spec {
  char name[XT_PROBE_NAME_MAX];
  char lib[XT_PROBE_NAME_MAX]; /* "" unless restricted with "lib:" */
  char item[XT_PROBE_NAME_MAX]; /* "" unless gated with "@ITEM" */
  xt__ptype ret;
  xt__ptype args[XT_PROBE_ARGS_MAX];
  int nargs;
} xt__probe_spec;

/* Parses a whole XTRACE_PROBES value: specs separated by ';' or newlines.
 * Good specs land in out (at most max); each bad one adds "spec: reason" to
 * errors (separated by "; ", cut to errcap). Returns the number parsed. */
int xt__probes_parse(const char *s, xt__probe_spec *out, int max, char *errors, size_t errcap);

/* Appends "what" to an error list in the form the parser uses. */
void xt__probes_err(char *errors, size_t errcap, const char *what, size_t len, const char *why);

/* Called once from the preload's initialisation, before the start event:
 * reads XTRACE_PROBES and, if it is set, installs the probes. Without it
 * nothing else of this file runs. */
void xt__probes_init(void);

/* The problems found with XTRACE_PROBES, for the start event: fills *kv and
 * returns 1, or returns 0 if there are none. */
size_t xt__probes_start_kv(xt_kv *kv);

#endif
