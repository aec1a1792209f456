/*
 * What the two halves of the probes share: the table of installed probes
 * (probes.c builds and fires them, probes_got.c finds their definitions and
 * points GOT entries at them). Private to preload/.
 */
#ifndef XT_PRELOAD_PROBES_INT_H
#define XT_PRELOAD_PROBES_INT_H

#include <ffi.h>

#include "probes.h"

typedef struct probe {
  xt__probe_spec spec;
  size_t item_len;
  ffi_cif cif;
  ffi_type *argt[XT_PROBE_ARGS_MAX];
  ffi_closure *closure;
  void *code;      /* the closure's entry */
  void *entry;     /* what the GOT entries are pointed at: a gate stub or code */
  void *orig;      /* the definition; NULL until found */
  bool is_default; /* orig is what a lazy (unbound) entry would bind to */
} probe;


/* Written during set-up and under the scan lock; entries are only added. */
extern probe xt__probes[XT_PROBES_MAX];
extern int xt__nprobes;
extern char xt__probe_errors[XT_PROBE_ERRORS_MAX];

/* Finds what is not found yet (handle: an object just opened, or NULL) and
 * points every matching GOT entry of every loaded object at its probe;
 * while probes are on, the program's dlopen entries too. Idempotent. */
void xt__probes_scan(void *handle);

#endif
