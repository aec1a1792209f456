/*
 * libffi, opened only when XTRACE_PROBES asks for probes. Every traced
 * process would otherwise pay for mapping and relocating it at start-up,
 * and most never probe anything. The build still compiles against
 * libffi-dev's <ffi.h> (its types and the ABI of the SONAME it names);
 * only the functions and the ffi_type objects come through dlsym.
 * Private to preload/.
 */
#ifndef XTP_PROBES_LIBFFI_H
#define XTP_PROBES_LIBFFI_H

#include <ffi.h>

/* The ffi_type objects the probes' signatures map to. */
typedef enum xtp_ffi_tid {
  XTP_FFI_VOID,
  XTP_FFI_UINT8,
  XTP_FFI_SINT8,
  XTP_FFI_UINT16,
  XTP_FFI_SINT16,
  XTP_FFI_UINT32,
  XTP_FFI_SINT32,
  XTP_FFI_UINT64,
  XTP_FFI_SINT64,
  XTP_FFI_FLOAT,
  XTP_FFI_DOUBLE,
  XTP_FFI_POINTER,
  XTP_FFI_NTYPES
} xtp_ffi_tid;

typedef void (*xtp_ffi_fun)(ffi_cif *, void *, void **, void *);

typedef struct xtp_ffi_api {
  ffi_status (*prep_cif)(ffi_cif *, ffi_abi, unsigned, ffi_type *, ffi_type **);
  void (*call)(ffi_cif *, void (*)(void), void *, void **);
  void *(*closure_alloc)(size_t, void **);
  void (*closure_free)(void *);
  ffi_status (*prep_closure_loc)(ffi_closure *, ffi_cif *, xtp_ffi_fun, void *, void *);
  ffi_type *type[XTP_FFI_NTYPES];
} xtp_ffi_api;

/* Filled by xtp_ffi_load; read-only afterwards. */
extern xtp_ffi_api xtp_ffi;

/* Opens libffi and resolves what the probes use into xtp_ffi. Returns NULL
 * when all of it is there, else why not (valid until the next dl call of
 * this thread). */
const char *xtp_ffi_load(void);

#endif
