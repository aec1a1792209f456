/*
 * Opening libffi on demand (see probes/libffi.h). XTP_LIBFFI_SONAME is read
 * from the libffi-dev the library is built against (preload/CMakeLists.txt),
 * so the header's ABI and the object opened agree.
 */
#include "probes/libffi.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

xtp_ffi_api xtp_ffi;

static const char *const type_names[XTP_FFI_NTYPES] = {
    [XTP_FFI_VOID] = "ffi_type_void",     [XTP_FFI_UINT8] = "ffi_type_uint8",
    [XTP_FFI_SINT8] = "ffi_type_sint8",   [XTP_FFI_UINT16] = "ffi_type_uint16",
    [XTP_FFI_SINT16] = "ffi_type_sint16", [XTP_FFI_UINT32] = "ffi_type_uint32",
    [XTP_FFI_SINT32] = "ffi_type_sint32", [XTP_FFI_UINT64] = "ffi_type_uint64",
    [XTP_FFI_SINT64] = "ffi_type_sint64", [XTP_FFI_FLOAT] = "ffi_type_float",
    [XTP_FFI_DOUBLE] = "ffi_type_double", [XTP_FFI_POINTER] = "ffi_type_pointer",
};

static const struct {
  const char *name;
  size_t off;
} funcs[] = {
    {"ffi_prep_cif", offsetof(xtp_ffi_api, prep_cif)},
    {"ffi_call", offsetof(xtp_ffi_api, call)},
    {"ffi_closure_alloc", offsetof(xtp_ffi_api, closure_alloc)},
    {"ffi_closure_free", offsetof(xtp_ffi_api, closure_free)},
    {"ffi_prep_closure_loc", offsetof(xtp_ffi_api, prep_closure_loc)},
};

static const char *missing(void *h, const char *name) {
  static char why[96];
  snprintf(why, sizeof why, "%s: no %s", XTP_LIBFFI_SONAME, name);
  dlclose(h);
  return why;
}

/* Runs once, from the preload's initialisation (a fork child inherits the
 * table). The table is filled into a copy and published whole, so a
 * half-resolved libffi never looks usable. The handle stays open for good:
 * closures built from it live as long as the process. RTLD_LOCAL keeps its
 * symbols out of the program's global scope, where they were not before.
 * Function pointers go through memcpy because ISO C has no conversion from
 * the void * dlsym returns. */
const char *xtp_ffi_load(void) {
  void *h = dlopen(XTP_LIBFFI_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    return why ? why : XTP_LIBFFI_SONAME ": cannot be opened";
  }
  xtp_ffi_api api;
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
    void *p = dlsym(h, funcs[i].name);
    if (!p)
      return missing(h, funcs[i].name);
    memcpy((char *)&api + funcs[i].off, &p, sizeof p);
  }
  for (int i = 0; i < XTP_FFI_NTYPES; i++) {
    api.type[i] = dlsym(h, type_names[i]);
    if (!api.type[i])
      return missing(h, type_names[i]);
  }
  xtp_ffi = api;
  return NULL;
}
