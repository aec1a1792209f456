/*
 * Dynamic probes (XTRACE_PROBES): library functions named by signature whose
 * calls become an entry and a return event. The parser is pure (no libffi,
 * no client) so the unit tests can take it alone. Private to preload/.
 */
#ifndef XTP_PROBES_H
#define XTP_PROBES_H

#include <stdbool.h>
#include <stddef.h>

#include <xtrace/xtrace.h>

#define XTP_PROBES_MAX 32
#define XTP_PROBE_ARGS_MAX 8
#define XTP_PROBE_NAME_MAX 128
#define XTP_PROBE_ERRORS_MAX 1024

/* How a value is passed and printed. size is in bytes for the integers. */
typedef enum xtp_ptkind {
  XTP_PT_VOID,
  XTP_PT_SINT,
  XTP_PT_UINT,
  XTP_PT_FLOAT,
  XTP_PT_DOUBLE,
  XTP_PT_PTR, /* printed as an address */
  XTP_PT_STR, /* NUL-terminated, printed bounded and escaped */
} xtp_ptkind;

typedef struct xtp_ptype {
  xtp_ptkind kind;
  unsigned char size;
} xtp_ptype;

typedef struct xtp_probe_spec {
  char name[XTP_PROBE_NAME_MAX];
  char lib[XTP_PROBE_NAME_MAX];  /* "" unless restricted with "lib:" */
  char item[XTP_PROBE_NAME_MAX]; /* "" unless gated with "@ITEM" */
  xtp_ptype ret;
  xtp_ptype args[XTP_PROBE_ARGS_MAX];
  int nargs;
} xtp_probe_spec;

/* Parses a whole XTRACE_PROBES value: specs separated by ';' or newlines.
 * Good specs land in out (at most max); each bad one adds "spec: reason" to
 * errors (separated by "; ", cut to errcap). Returns the number parsed. */
int xtp_probes_parse(const char *s, xtp_probe_spec *out, int max, char *errors, size_t errcap);

/* Appends "what" to an error list in the form the parser uses. */
void xtp_probes_err(char *errors, size_t errcap, const char *what, size_t len, const char *why);

/* Called once from the preload's initialisation, before the start event:
 * reads XTRACE_PROBES and, if it is set, installs the probes. Without it
 * nothing else of this file runs. */
void xtp_probes_init(void);

/* The problems found with XTRACE_PROBES, for the start event: fills *kv and
 * returns 1, or returns 0 if there are none. */
size_t xtp_probes_start_kv(xt_kv *kv);

#endif
