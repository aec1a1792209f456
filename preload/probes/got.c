/*
 * Where probes are installed: finding each probed function's definition,
 * and pointing the GOT entries that refer to it (R_*_JUMP_SLOT for PLT
 * calls, R_*_GLOB_DAT for address-taken uses) in every loaded object at
 * the probe. RELRO pages are unprotected for the write and protected
 * again. While probes are on, the program's own dlopen entries point at a
 * wrapper that rescans after each load, so later objects are covered.
 */
#include "probes/probes_int.h"

#include "internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#else
#error "GOT patching is written for x86-64 and AArch64 (RELA, LP64)"
#endif

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fork protocol, child step: a scan the parent's other threads were making
 * is over for the child; the lock starts free. */
void xtp_probes_after_fork_child(void) { pthread_mutex_init(&scan_lock, NULL); }

typedef void *(*dlopen_fn)(const char *, int);
static dlopen_fn real_dlopen;
static void *probes_dlopen(const char *file, int mode);

/* Finding definitions ------------------------------------------------------- */

static bool in_object(const struct dl_phdr_info *info, const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && a >= info->dlpi_addr + ph->p_vaddr &&
        a < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
      return true;
  }
  return false;
}

typedef struct find_base {
  const void *addr;
  uintptr_t base;
  bool found;
} find_base;

static int find_base_cb(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  find_base *f = data;
  if (in_object(info, f->addr)) {
    f->base = info->dlpi_addr;
    f->found = true;
    return 1;
  }
  return 0;
}

/* lib: restricts a probe to the definition in that object: found through a
 * handle for it, and accepted only if the address lies in it (dlsym on a
 * handle also searches the object's dependencies). */
static void *lookup_in_lib(const char *lib, const char *name) {
  void *h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
  if (!h)
    return NULL;
  void *sym = dlsym(h, name);
  struct link_map *lm = NULL;
  if (sym && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm) {
    find_base f = {sym, 0, false};
    dl_iterate_phdr(find_base_cb, &f);
    if (!f.found || f.base != lm->l_addr)
      sym = NULL;
  }
  dlclose(h);
  return sym;
}

/* Finds what is not found yet; handle is a newly opened object, whose
 * symbols RTLD_DEFAULT does not see if it was opened RTLD_LOCAL. */
static void resolve(void *handle) {
  for (int i = 0; i < xtp_nprobes; i++) {
    probe *p = &xtp_probes[i];
    if (p->orig || !p->closure)
      continue;
    void *dflt = dlsym(RTLD_DEFAULT, p->spec.name);
    void *sym = p->spec.lib[0] ? lookup_in_lib(p->spec.lib, p->spec.name) : dflt;
    if (!sym && handle && !p->spec.lib[0])
      sym = dlsym(handle, p->spec.name);
    if (!sym)
      continue;
    /* A program linked without PIE that takes a function's address makes
     * its own PLT entry the function's address for everyone: calling that
     * "original" would come back through the patched GOT forever. */
    Dl_info di;
    const ElfW(Sym) *se = NULL;
    if (dladdr1(sym, &di, (void **)&se, RTLD_DL_SYMENT) && se && se->st_shndx == SHN_UNDEF) {
      xtp_probes_err(xtp_probe_errors, sizeof xtp_probe_errors, p->spec.name, strlen(p->spec.name),
                     "its address is a PLT entry of a non-PIE program: not probed");
      p->closure = NULL;
      continue;
    }
    p->is_default = sym == dflt;
    __atomic_store_n(&p->orig, sym, __ATOMIC_RELEASE);
    xtp_debug("probe %s%s%s installed", p->spec.lib, p->spec.lib[0] ? ":" : "", p->spec.name);
  }
  dlerror(); /* a failed NOLOAD lookup must not show in the program's dlerror() */
}

/* GOT patching -------------------------------------------------------------- */

typedef struct scan {
  const void *skip[3]; /* addresses inside objects never patched */
} scan;

/* The entry is in RELRO if it lies in the page-rounded range the dynamic
 * linker made read-only; it is unprotected for the one write and protected
 * again. Other GOT pages are writable already. The store is atomic so a
 * thread calling through the entry meanwhile sees the old or the new. */
static void write_slot(void **slot, void *val, uintptr_t relro_lo, uintptr_t relro_hi) {
  uintptr_t a = (uintptr_t)slot;
  bool ro = a >= relro_lo && a < relro_hi;
  uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
  void *page = (void *)(a & ~(pg - 1));
  if (ro && mprotect(page, pg, PROT_READ | PROT_WRITE) != 0) {
    xtp_debug("probes: cannot unprotect GOT page %p", page);
    return;
  }
  __atomic_store_n(slot, val, __ATOMIC_RELEASE);
  if (ro)
    mprotect(page, pg, PROT_READ);
}

/* What a GOT entry holding v that refers to name should hold instead, or
 * NULL. v in the object itself is a lazy entry not bound yet (its PLT stub):
 * it would bind to the default definition. An entry already patched holds a
 * closure and matches nothing, so scanning twice changes nothing. */
static void *replacement(const struct dl_phdr_info *info, const char *name, void *v) {
  bool lazy = in_object(info, v);
  for (int i = 0; i < xtp_nprobes; i++) {
    const probe *p = &xtp_probes[i];
    if (p->orig && strcmp(p->spec.name, name) == 0 && (v == p->orig || (lazy && p->is_default)))
      return p->entry;
  }
  if (strcmp(name, "dlopen") == 0 && (v == (void *)real_dlopen || lazy))
    return (void *)probes_dlopen;
  return NULL;
}

static void patch_relocs(const struct dl_phdr_info *info, const ElfW(Rela) * rel, size_t n,
                         const ElfW(Sym) * symtab, const char *strtab, uintptr_t lo, uintptr_t hi) {
  for (size_t i = 0; i < n; i++) {
    unsigned type = (unsigned)ELF64_R_TYPE(rel[i].r_info);
    size_t sym = ELF64_R_SYM(rel[i].r_info);
    if ((type != R_JUMP_SLOT && type != R_GLOB_DAT) || !sym)
      continue;
    const char *name = strtab + symtab[sym].st_name;
    void **slot = (void **)(info->dlpi_addr + rel[i].r_offset);
    void *to = replacement(info, name, __atomic_load_n(slot, __ATOMIC_RELAXED));
    if (to)
      write_slot(slot, to, lo, hi);
  }
}

/* The dynamic linker has relocated the d_ptr entries of a writable dynamic
 * section in place; the vDSO's (read-only) are still relative. */
static uintptr_t dyn_ptr(const struct dl_phdr_info *info, ElfW(Addr) p) {
  return p < info->dlpi_addr ? info->dlpi_addr + p : p;
}

static int patch_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  const scan *sc = data;
  const char *name = info->dlpi_name ? info->dlpi_name : "";
  if (strncmp(name, "linux-vdso", 10) == 0 || strncmp(name, "linux-gate", 10) == 0)
    return 0;
  for (size_t i = 0; i < sizeof sc->skip / sizeof sc->skip[0]; i++)
    if (sc->skip[i] && in_object(info, sc->skip[i]))
      return 0;
  const ElfW(Dyn) *dyn = NULL;
  uintptr_t lo = 0, hi = 0, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_DYNAMIC)
      dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
    if (ph->p_type == PT_GNU_RELRO) {
      lo = (info->dlpi_addr + ph->p_vaddr) & ~(pg - 1);
      hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(pg - 1);
    }
  }
  if (!dyn)
    return 0;
  const ElfW(Sym) *symtab = NULL;
  const char *strtab = NULL;
  const ElfW(Rela) *jmprel = NULL, *rela = NULL;
  size_t jmpsz = 0, relasz = 0;
  /* One case per dynamic tag wanted: alike, but each its own field. */
  for (; dyn->d_tag != DT_NULL; dyn++) {
    switch (dyn->d_tag) {
    case DT_SYMTAB:
      symtab = (const ElfW(Sym) *)dyn_ptr(info, dyn->d_un.d_ptr);
      break;
    case DT_STRTAB:
      strtab = (const char *)dyn_ptr(info, dyn->d_un.d_ptr);
      break;
    case DT_JMPREL:
      jmprel = (const ElfW(Rela) *)dyn_ptr(info, dyn->d_un.d_ptr);
      break;
    case DT_PLTRELSZ:
      jmpsz = dyn->d_un.d_val;
      break;
    case DT_RELA:
      rela = (const ElfW(Rela) *)dyn_ptr(info, dyn->d_un.d_ptr);
      break;
    case DT_RELASZ:
      relasz = dyn->d_un.d_val;
      break;
    default:
      break;
    }
  }
  if (!symtab || !strtab)
    return 0;
  if (jmprel)
    patch_relocs(info, jmprel, jmpsz / sizeof *jmprel, symtab, strtab, lo, hi);
  if (rela)
    patch_relocs(info, rela, relasz / sizeof *rela, symtab, strtab, lo, hi);
  return 0;
}

/* Never patched: this library (its own calls are never probes), libffi
 * (ffi_call must reach the original, not come back to a closure) and the
 * dynamic linker. Scans run only once libffi is loaded (probes.c). */
void xtp_probes_scan(void *handle) {
  pthread_mutex_lock(&scan_lock);
  if (!real_dlopen)
    real_dlopen = (dlopen_fn)dlsym(RTLD_DEFAULT, "dlopen");
  resolve(handle);
  scan sc = {{(const void *)xtp_probes_init, (const void *)xtp_ffi.call, (const void *)&_r_debug}};
  dl_iterate_phdr(patch_object, &sc);
  pthread_mutex_unlock(&scan_lock);
}

/* Reached through the program's own GOT entries for dlopen, only while
 * probes are on. The object the real dlopen sees as its caller is this
 * library, which matters only for "$ORIGIN" in the file name and the
 * caller's RUNPATH (see the README). */
static void *probes_dlopen(const char *file, int mode) {
  void *h = real_dlopen(file, mode);
  if (h) {
    int saved = errno;
    xtp_depth++;
    xtp_probes_scan(h);
    xtp_depth--;
    errno = saved;
  }
  return h;
}
