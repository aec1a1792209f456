/*
 * What the two halves of the probes share: the table of installed probes
 * (probes/probes.c builds and fires them, probes/got.c finds their definitions and
 * points GOT entries at them). Private to preload/.
 */
#ifndef XTP_PROBES_INT_H
#define XTP_PROBES_INT_H

#include "probes/libffi.h"
#include "probes/probes.h"

typedef struct probe {
  xtp_probe_spec spec;
  size_t item_len;
  ffi_cif cif;
  ffi_type *argt[XTP_PROBE_ARGS_MAX];
  ffi_closure *closure;
  void *code;      /* the closure's entry */
  void *entry;     /* what the GOT entries are pointed at: a gate stub or code */
  void *orig;      /* the definition; NULL until found */
  bool is_default; /* orig is what a lazy (unbound) entry would bind to */
} probe;

/* Written during set-up and under the scan lock; entries are only added. */
extern probe xtp_probes[XTP_PROBES_MAX];
extern int xtp_nprobes;
extern char xtp_probe_errors[XTP_PROBE_ERRORS_MAX];

/* Finds what is not found yet (handle: an object just opened, or NULL) and
 * points every matching GOT entry of every loaded object at its probe;
 * while probes are on, the program's dlopen entries too. Idempotent. */
void xtp_probes_scan(void *handle);

#endif
