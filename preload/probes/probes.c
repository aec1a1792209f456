/*
 * Dynamic probes: each function named in XTRACE_PROBES gets a libffi closure
 * built from its signature (and on x86-64 a stub in front of it), which
 * probes/got.c points the function's GOT entries at. A call records
 * "→ fn(args)", runs the original and records "← fn = ret (N µs)".
 *
 * Without XTRACE_PROBES none of this runs: no GOT is touched, libffi is not
 * even loaded (probes/libffi.c), dlopen is the program's own.
 */
#include "probes/probes_int.h"

#include "internal.h"
#include "probes/libffi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

probe xtp_probes[XTP_PROBES_MAX];
int xtp_nprobes;
char xtp_probe_errors[XTP_PROBE_ERRORS_MAX];

/* Formatting --------------------------------------------------------------- */

typedef struct out {
  char *buf;
  size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n) {
  if (n > o->cap - o->len)
    n = o->cap - o->len;
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}
static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }
/* A string literal, its length known at compile time. */
#define put_lit(o, s) put((o), (s), sizeof(s) - 1)

/* Hand-written so that a probe in a signal handler formats without stdio,
 * with constant bases: a division by a variable base was most of the cost
 * of a recorded call. */
static void put_dec(out *o, uint64_t v) {
  char tmp[24];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(o, tmp + i, sizeof tmp - i);
}

static void put_hex(out *o, uint64_t v) {
  char tmp[16];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  put(o, tmp + i, sizeof tmp - i);
}

static void put_str(out *o, const char *s) {
  if (!s) {
    put_lit(o, "NULL");
    return;
  }
  put_lit(o, "\"");
  size_t i = 0;
  for (; s[i] && i < 64; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(o, e, 2);
    } else if (c < 0x20 || c == 0x7f) {
      char e[4] = {'\\', 'x', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
      put(o, e, 4);
    } else {
      put(o, (const char *)&c, 1);
    }
  }
  puts_(o, s[i] ? "\"..." : "\"");
}

/* v points at a value of type t (little-endian, so a widened return value
 * read at its own size is right too). The signed and unsigned reads are
 * alike but for their types, which is the point of each. */
static void put_value(out *o, xtp_ptype t, const void *v) {
  int64_t s = 0;
  uint64_t u = 0;
  switch (t.kind) {
  case XTP_PT_VOID:
    put_lit(o, "void");
    return;
  case XTP_PT_SINT:
    switch (t.size) {
    case 1:
      s = *(const int8_t *)v;
      break;
    case 2:
      s = *(const int16_t *)v;
      break;
    case 4:
      s = *(const int32_t *)v;
      break;
    default:
      s = *(const int64_t *)v;
      break;
    }
    if (s < 0) {
      put_lit(o, "-");
      u = (uint64_t)0 - (uint64_t)s;
    } else {
      u = (uint64_t)s;
    }
    put_dec(o, u);
    return;
  case XTP_PT_UINT:
    switch (t.size) {
    case 1:
      u = *(const uint8_t *)v;
      break;
    case 2:
      u = *(const uint16_t *)v;
      break;
    case 4:
      u = *(const uint32_t *)v;
      break;
    default:
      u = *(const uint64_t *)v;
      break;
    }
    put_dec(o, u);
    return;
  case XTP_PT_FLOAT:
  case XTP_PT_DOUBLE: {
    char tmp[32];
    double d = t.kind == XTP_PT_FLOAT ? *(const float *)v : *(const double *)v;
    int n = snprintf(tmp, sizeof tmp, "%g", d);
    put(o, tmp, n > 0 ? (size_t)n : 0);
    return;
  }
  case XTP_PT_PTR:
    put_lit(o, "0x");
    put_hex(o, (uint64_t)(uintptr_t) * (void *const *)v);
    return;
  case XTP_PT_STR:
    put_str(o, *(const char *const *)v);
    return;
  }
}

/* The closure ---------------------------------------------------------------- */

static bool should_record(const probe *p);

/* Only application calls in a task are recorded, and for a per-request probe
 * only in a task whose baggage holds the item. Everything else (the
 * library's own calls, the reporter thread, a call made while a hook runs, a
 * thread outside any task) goes straight to the original. */
static bool should_record(const probe *p) {
  if (xtp_depth || !xtp_traced())
    return false;
  xtp_depth++;
  bool ok = !xt_thread_is_internal();
  if (ok) {
    const bg_context *ctx = xt_context();
    const char *v;
    size_t vl;
    ok = ctx->task_id &&
         (!p->item_len || bg_items_get(&ctx->items, p->spec.item, p->item_len, &v, &vl) == 0);
  }
  xtp_depth--;
  return ok;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "→ fn(args)"; returns the time the call starts. args[i] points at the
 * i-th argument's value. errno is the caller's again on return. */
static uint64_t record_entry(const probe *p, void *const *args) {
  int saved = errno;
  xtp_depth++;
  char label[640];
  out o = {label, 0, sizeof label};
  put_lit(&o, "\xe2\x86\x92 "); /* → */
  puts_(&o, p->spec.name);
  put_lit(&o, "(");
  for (int i = 0; i < p->spec.nargs; i++) {
    if (i)
      put_lit(&o, ", ");
    put_value(&o, p->spec.args[i], args[i]);
  }
  put_lit(&o, ")");
  const char *tags[] = {"probe"};
  xt_kv kv[1] = {{"probe", p->spec.name}};
  /* One clock read serves as the event's time and the call's start, one
   * more as the return event's and the call's end: at tens of ns each on
   * some machines, the reads are a large part of a recorded call. */
  uint64_t t0 = now_ns();
  xt_event_info ev = {.agent = "probe",
                      .label = label,
                      .label_len = o.len,
                      .source = "probe",
                      .kv = kv,
                      .nkv = 1,
                      .tags = tags,
                      .ntags = 1,
                      .mono_ns = (int64_t)t0};
  xtp_emit(&ev);
  xtp_depth--;
  errno = saved;
  return t0;
}

/* "← fn = ret (N µs)". Whatever the call recorded descends from the entry
 * event, so the thread's parents now are its last events (joins included):
 * the return event closes the call after all of them. errno is what the
 * original left. */
static void record_return(const probe *p, const void *ret, uint64_t t0) {
  uint64_t t1 = now_ns(), ns = t1 - t0;
  int saved = errno;
  xtp_depth++;
  char label[256];
  out o = {label, 0, sizeof label};
  put_lit(&o, "\xe2\x86\x90 "); /* ← */
  puts_(&o, p->spec.name);
  char retv[128], dur[24];
  out r = {retv, 0, sizeof retv - 1};
  if (p->spec.ret.kind != XTP_PT_VOID) {
    put_value(&r, p->spec.ret, ret);
    put_lit(&o, " = ");
    put(&o, retv, r.len);
  }
  retv[r.len] = '\0';
  /* The label's microseconds are the field's nanoseconds less their last
   * three digits: one conversion for both. */
  int dl = bg_dec_encode(ns, dur);
  put_lit(&o, " (");
  if (dl > 3)
    put(&o, dur, (size_t)dl - 3);
  else
    put_lit(&o, "0");
  put_lit(&o, " \xc2\xb5s)"); /* µs */
  const char *tags[] = {"probe"};
  xt_kv kv[3] = {{"probe", p->spec.name}, {"duration_ns", dur}, {"return", retv}};
  xt_event_info ev = {.agent = "probe",
                      .label = label,
                      .label_len = o.len,
                      .source = "probe",
                      .kv = kv,
                      .nkv = p->spec.ret.kind != XTP_PT_VOID ? 3 : 2,
                      .tags = tags,
                      .ntags = 1,
                      .mono_ns = (int64_t)t1};
  xtp_emit(&ev);
  xtp_depth--;
  errno = saved;
}

static void probe_call(ffi_cif *cif, void *ret, void **args, void *user) {
  const probe *p = user;
  void (*orig)(void) = (void (*)(void))__atomic_load_n(&p->orig, __ATOMIC_ACQUIRE);
  if (!should_record(p)) {
    xtp_ffi.call(cif, orig, ret, args);
    return;
  }
  uint64_t t0 = record_entry(p, args);
  xtp_ffi.call(cif, orig, ret, args);
  record_return(p, ret, t0);
}

/* The gate ----------------------------------------------------------------- */

#if defined(__x86_64__)
/* A call that is not recorded (a per-request probe in a task that did not
 * ask for it, a thread outside any task, the library's own calls) should
 * cost next to nothing, and libffi's two marshalling passes cost far more
 * than the call being probed. So on x86-64 the GOT entry points at a small
 * stub instead (stub i is 16 bytes at xtp_probe_stubs + 16 i and loads probe
 * i from xtp_probe_stub_probe[i]). The common entry saves the argument
 * registers and asks xtp_probe_gate what to do:
 *  - not recorded: it jumps to the original, which returns straight to the
 *    program, leaving no frame of ours;
 *  - recorded, all arguments in registers (every signature of up to six
 *    integer and eight floating arguments): the gate has recorded the entry
 *    from the saved registers; the stub calls the original itself, keeps
 *    the results, has xtp_probe_ret record the return and returns them;
 *  - recorded, arguments on the stack: it jumps to the libffi closure.
 * Frame, from %rsp up: xmm0-7 (0-127), the original (128), the start time
 * (136), r9 r8 rcx rdx rsi rdi (144-191), rbx (192), the return address.
 * After the call rax, rdx and xmm0-1 are kept at 0-47. The CFI lets an
 * exception or a backtrace pass through the frame. */
__attribute__((visibility("hidden"))) void *xtp_probe_gate(const probe *p, uint64_t *frame);
__attribute__((visibility("hidden"))) void xtp_probe_ret(const probe *p, uint64_t *frame);
__attribute__((visibility("hidden"))) const probe *xtp_probe_stub_probe[XTP_PROBES_MAX];
extern const char xtp_probe_stubs[] __attribute__((visibility("hidden")));

__asm__(".text\n"
        ".p2align 4\n"
        ".type xtp_probe_gate_entry, @function\n"
        "xtp_probe_gate_entry:\n"
        "  .cfi_startproc\n"
        "  push %rbx\n  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %rbx, 0\n"
        "  mov %r11, %rbx\n"
        "  push %rdi\n  .cfi_adjust_cfa_offset 8\n"
        "  push %rsi\n  .cfi_adjust_cfa_offset 8\n"
        "  push %rdx\n  .cfi_adjust_cfa_offset 8\n"
        "  push %rcx\n  .cfi_adjust_cfa_offset 8\n"
        "  push %r8\n  .cfi_adjust_cfa_offset 8\n"
        "  push %r9\n  .cfi_adjust_cfa_offset 8\n"
        "  sub $144, %rsp\n  .cfi_adjust_cfa_offset 144\n" /* entry %rsp was 8 mod 16 */
        "  movaps %xmm0, 0(%rsp)\n  movaps %xmm1, 16(%rsp)\n  movaps %xmm2, 32(%rsp)\n"
        "  movaps %xmm3, 48(%rsp)\n  movaps %xmm4, 64(%rsp)\n  movaps %xmm5, 80(%rsp)\n"
        "  movaps %xmm6, 96(%rsp)\n  movaps %xmm7, 112(%rsp)\n"
        "  mov %rbx, %rdi\n  mov %rsp, %rsi\n"
        "  call xtp_probe_gate\n"
        "  movaps 0(%rsp), %xmm0\n  movaps 16(%rsp), %xmm1\n  movaps 32(%rsp), %xmm2\n"
        "  movaps 48(%rsp), %xmm3\n  movaps 64(%rsp), %xmm4\n  movaps 80(%rsp), %xmm5\n"
        "  movaps 96(%rsp), %xmm6\n  movaps 112(%rsp), %xmm7\n"
        "  mov 144(%rsp), %r9\n  mov 152(%rsp), %r8\n  mov 160(%rsp), %rcx\n"
        "  mov 168(%rsp), %rdx\n  mov 176(%rsp), %rsi\n  mov 184(%rsp), %rdi\n"
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  mov %rax, %r11\n"
        "  .cfi_remember_state\n"
        "  add $192, %rsp\n  .cfi_adjust_cfa_offset -192\n"
        "  pop %rbx\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbx\n"
        "  jmp *%r11\n"
        "  .cfi_restore_state\n"
        "1:\n"
        "  call *128(%rsp)\n"
        "  mov %rax, 0(%rsp)\n  mov %rdx, 8(%rsp)\n"
        "  movaps %xmm0, 16(%rsp)\n  movaps %xmm1, 32(%rsp)\n"
        "  mov %rbx, %rdi\n  mov %rsp, %rsi\n"
        "  call xtp_probe_ret\n"
        "  mov 0(%rsp), %rax\n  mov 8(%rsp), %rdx\n"
        "  movaps 16(%rsp), %xmm0\n  movaps 32(%rsp), %xmm1\n"
        "  add $192, %rsp\n  .cfi_adjust_cfa_offset -192\n"
        "  pop %rbx\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbx\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size xtp_probe_gate_entry, .-xtp_probe_gate_entry\n"
        ".p2align 4\n"
        ".globl xtp_probe_stubs\n"
        ".hidden xtp_probe_stubs\n"
        "xtp_probe_stubs:\n"
        ".irp i, "
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  .p2align 4\n"
        "  mov xtp_probe_stub_probe+8*\\i(%rip), %r11\n"
        "  jmp xtp_probe_gate_entry\n"
        ".endr\n");
_Static_assert(XTP_PROBES_MAX == 32, "one stub per probe in the asm above");

enum { FRAME_ORIG = 16, FRAME_T0 = 17, FRAME_R9 = 18 };

/* Where each argument was passed, if all were passed in registers. */
static bool in_registers(const probe *p) {
  int ni = 0, nf = 0;
  for (int i = 0; i < p->spec.nargs; i++) {
    xtp_ptkind k = p->spec.args[i].kind;
    if (k == XTP_PT_FLOAT || k == XTP_PT_DOUBLE)
      nf++;
    else
      ni++;
  }
  return ni <= 6 && nf <= 8;
}

void *xtp_probe_gate(const probe *p, uint64_t *frame) {
  void *orig = __atomic_load_n(&p->orig, __ATOMIC_ACQUIRE);
  if (!should_record(p))
    return orig;
  if (!in_registers(p))
    return p->code;
  /* The integer registers in argument order: rdi rsi rdx rcx r8 r9, saved
   * from r9 (FRAME_R9) upwards; xmm i at frame + 2 i. */
  void *args[XTP_PROBE_ARGS_MAX];
  int ni = 0, nf = 0;
  for (int i = 0; i < p->spec.nargs; i++) {
    xtp_ptkind k = p->spec.args[i].kind;
    if (k == XTP_PT_FLOAT || k == XTP_PT_DOUBLE)
      args[i] = &frame[2 * nf++];
    else
      args[i] = &frame[FRAME_R9 + 5 - ni++];
  }
  frame[FRAME_ORIG] = (uint64_t)(uintptr_t)orig;
  frame[FRAME_T0] = record_entry(p, args);
  return NULL;
}

/* rax at frame[0], xmm0 at frame[2]. */
void xtp_probe_ret(const probe *p, uint64_t *frame) {
  xtp_ptkind k = p->spec.ret.kind;
  record_return(p, k == XTP_PT_FLOAT || k == XTP_PT_DOUBLE ? &frame[2] : &frame[0],
                frame[FRAME_T0]);
}

static void *gate_for(int i, probe *p) {
  xtp_probe_stub_probe[i] = p;
  return (void *)(xtp_probe_stubs + 16 * i);
}
#else
static void *gate_for(int i, probe *p) {
  (void)i;
  return p->code;
}
#endif

/* Set-up --------------------------------------------------------------------- */

static ffi_type *ffi_of(xtp_ptype t) {
  static const xtp_ffi_tid sints[] = {XTP_FFI_SINT8, XTP_FFI_SINT16, XTP_FFI_SINT32,
                                      XTP_FFI_SINT64};
  static const xtp_ffi_tid uints[] = {XTP_FFI_UINT8, XTP_FFI_UINT16, XTP_FFI_UINT32,
                                      XTP_FFI_UINT64};
  int ix = t.size == 1 ? 0 : t.size == 2 ? 1 : t.size == 4 ? 2 : 3;
  switch (t.kind) {
  case XTP_PT_VOID:
    return xtp_ffi.type[XTP_FFI_VOID];
  case XTP_PT_SINT:
    return xtp_ffi.type[sints[ix]];
  case XTP_PT_UINT:
    return xtp_ffi.type[uints[ix]];
  case XTP_PT_FLOAT:
    return xtp_ffi.type[XTP_FFI_FLOAT];
  case XTP_PT_DOUBLE:
    return xtp_ffi.type[XTP_FFI_DOUBLE];
  case XTP_PT_PTR:
  case XTP_PT_STR:
    return xtp_ffi.type[XTP_FFI_POINTER];
  }
  return xtp_ffi.type[XTP_FFI_VOID];
}

static bool build_closure(probe *p) {
  for (int i = 0; i < p->spec.nargs; i++)
    p->argt[i] = ffi_of(p->spec.args[i]);
  if (xtp_ffi.prep_cif(&p->cif, FFI_DEFAULT_ABI, (unsigned)p->spec.nargs, ffi_of(p->spec.ret),
                       p->argt) != FFI_OK)
    return false;
  p->closure = xtp_ffi.closure_alloc(sizeof(ffi_closure), &p->code);
  if (!p->closure)
    return false;
  if (xtp_ffi.prep_closure_loc(p->closure, &p->cif, probe_call, p, p->code) != FFI_OK) {
    xtp_ffi.closure_free(p->closure);
    p->closure = NULL;
    return false;
  }
  return true;
}

void xtp_probes_init(void) {
  const char *s = getenv("XTRACE_PROBES");
  if (!s || !*s)
    return;
  static xtp_probe_spec specs[XTP_PROBES_MAX];
  int n = xtp_probes_parse(s, specs, XTP_PROBES_MAX, xtp_probe_errors, sizeof xtp_probe_errors);
  const char *why = n > 0 ? xtp_ffi_load() : NULL;
  if (why) {
    xtp_probes_err(xtp_probe_errors, sizeof xtp_probe_errors, "libffi", 6, why);
    n = 0;
  }
  if (n == 0) { /* nothing to install: the GOTs and dlopen stay the program's */
    if (xtp_probe_errors[0])
      xtp_debug("XTRACE_PROBES: %s; no probes", xtp_probe_errors);
    return;
  }
  for (int i = 0; i < n; i++) {
    probe *p = &xtp_probes[xtp_nprobes];
    p->spec = specs[i];
    p->item_len = strlen(p->spec.item);
    if (build_closure(p)) {
      p->entry = gate_for(xtp_nprobes, p);
      xtp_nprobes++;
    } else
      xtp_probes_err(xtp_probe_errors, sizeof xtp_probe_errors, specs[i].name,
                     strlen(specs[i].name), "libffi could not build a closure");
  }
  xtp_probes_scan(NULL);
  for (int i = 0; i < xtp_nprobes; i++) {
    const probe *p = &xtp_probes[i];
    if (!p->orig)
      xtp_probes_err(xtp_probe_errors, sizeof xtp_probe_errors, p->spec.name, strlen(p->spec.name),
                     p->spec.lib[0] ? "not found in that library (yet)" : "not found (yet)");
  }
  if (xtp_probe_errors[0])
    xtp_debug("XTRACE_PROBES: %s", xtp_probe_errors);
}

size_t xtp_probes_start_kv(xt_kv *kv) {
  if (!xtp_probe_errors[0])
    return 0;
  *kv = (xt_kv){"probe_errors", xtp_probe_errors};
  return 1;
}
