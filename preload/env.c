/*
 * The environment a traced child starts with: the caller's environment (or
 * the envp it passed), minus any stale XTRACE_BAGGAGE, XTRACE_EXIT_KEY and
 * XTRACE_COLLECTOR_DOWN, plus the calling thread's context as XTRACE_BAGGAGE,
 * the key the child's exit event is named by, a collector this process knows
 * unreachable, and this library in LD_PRELOAD. A NULL or empty
 * environment is passed as it is: the program chose to give the child
 * nothing, and that includes tracing.
 *
 * The caller's environ is never modified: other threads may read it at the
 * same time, and exec only returns on failure, when the program must find its
 * environment as it left it. What is built lives in the calling thread's
 * scratch area (below), never on the hook's stack (hooks stay within 2 KiB,
 * so a program with small thread stacks runs as it does untraced) and never
 * in malloc'd memory (a vfork child must not call malloc).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Scratch ------------------------------------------------------------------ */

/* One mapping per thread, found through a pthread key so that its memory is
 * given back when the thread exits and no static TLS is spent on it. Only the
 * owning thread touches it, and only inside a hook that holds the guard, so it
 * is never used twice at once. A vfork child runs on its parent's thread
 * while that thread is suspended: it may use (and grow) that thread's area,
 * which leaves the parent a valid area of its own, and nothing else. */
typedef struct scratch_hdr {
  size_t bytes; /* of the whole mapping, this header included */
  size_t pad;   /* keeps what follows 16-byte aligned */
} scratch_hdr;

#define SCRATCH_MIN (32u << 10)

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

static void scratch_release(void *p) {
  scratch_hdr *h = p;
  munmap(h, h->bytes);
}

static void scratch_key_init(void) {
  scratch_key_ok = pthread_key_create(&scratch_key, scratch_release) == 0;
}

void *xtp_scratch(size_t bytes) {
  pthread_once(&scratch_once, scratch_key_init);
  if (!scratch_key_ok)
    return NULL;
  scratch_hdr *h = pthread_getspecific(scratch_key);
  size_t need = bytes + sizeof *h;
  if (h && h->bytes >= need)
    return h + 1;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t sz = need < SCRATCH_MIN ? SCRATCH_MIN : (need + page - 1) / page * page;
  void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  if (h)
    munmap(h, h->bytes);
  h = m;
  h->bytes = sz;
  if (pthread_setspecific(scratch_key, h) != 0) {
    munmap(h, sz);
    return NULL;
  }
  return h + 1;
}

/* The child's environment ----------------------------------------------- */

#define BAGGAGE_VAR "XTRACE_BAGGAGE="
#define EXIT_KEY_VAR "XTRACE_EXIT_KEY="
#define PRELOAD_VAR "LD_PRELOAD="
#define EXIT_KEY_BYTES (sizeof EXIT_KEY_VAR + 16)
#define LINK_VAR XT_LINK_ENV "="
#define LINK_BYTES (sizeof LINK_VAR + 20)

static bool has_prefix(const char *s, const char *p, size_t n) { return strncmp(s, p, n) == 0; }
#define HAS_PREFIX(s, lit) has_prefix(s, lit, sizeof lit - 1)

/* True if the colon/space separated LD_PRELOAD list names this library. */
static bool lists_self(const char *list) {
  const char *self = xtp_cfg.self_path;
  const char *base = strrchr(self, '/');
  base = base ? base + 1 : self;
  size_t bl = strlen(base);
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, ": ");
    if (n >= bl && memcmp(p + n - bl, base, bl) == 0)
      return true;
    p += n;
    p += strspn(p, ": ");
  }
  return false;
}

static const char *find_preload(char *const envp[], size_t *count) {
  const char *old = NULL;
  size_t n = 0;
  for (; envp[n]; n++)
    if (HAS_PREFIX(envp[n], PRELOAD_VAR))
      old = envp[n];
  *count = n;
  return old;
}

/* Appends s to buf[*len] within cap - 1 bytes; stdio's formatting would
 * take a kilobyte of the hook's stack for what is a copy. */
static void append(char *buf, size_t cap, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (n > cap - 1 - *len)
    n = cap - 1 - *len;
  memcpy(buf + *len, s, n);
  *len += n;
  buf[*len] = '\0';
}

size_t xtp_childenv_bytes(char *const envp[]) {
  if (!envp || !envp[0])
    return 0;
  size_t n;
  const char *old = find_preload(envp, &n);
  size_t preload = sizeof PRELOAD_VAR + (old ? strlen(old) : 0) + 1 + strlen(xtp_cfg.self_path);
  return (n + 5) * sizeof(char *) + sizeof BAGGAGE_VAR + BG_ENV_BUFSZ + EXIT_KEY_BYTES +
         LINK_BYTES + preload;
}

char **xtp_childenv_build(void *mem, char *const envp[], uint64_t exit_key) {
  if (!envp || !envp[0] || !mem)
    return (char **)envp;
  size_t n;
  const char *old_entry = find_preload(envp, &n);
  const char *old_preload = old_entry ? old_entry + sizeof PRELOAD_VAR - 1 : NULL;
  char **vec = mem;
  char *baggage = (char *)(vec + n + 5);
  char *key = baggage + sizeof BAGGAGE_VAR + BG_ENV_BUFSZ;
  char *link = key + EXIT_KEY_BYTES;
  char *preload = link + LINK_BYTES;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (HAS_PREFIX(envp[i], BAGGAGE_VAR) || HAS_PREFIX(envp[i], EXIT_KEY_VAR) ||
        HAS_PREFIX(envp[i], LINK_VAR) || HAS_PREFIX(envp[i], PRELOAD_VAR))
      continue;
    vec[k++] = envp[i];
  }
  const bg_context *ctx = xt_context_peek();
  if (ctx->task_id) {
    size_t pre = sizeof BAGGAGE_VAR - 1;
    memcpy(baggage, BAGGAGE_VAR, pre);
    if (bg_env_encode(ctx, baggage + pre, sizeof BAGGAGE_VAR + BG_ENV_BUFSZ - pre) >= 0)
      vec[k++] = baggage;
    if (exit_key) {
      memcpy(key, EXIT_KEY_VAR, sizeof EXIT_KEY_VAR - 1);
      char *hex = key + sizeof EXIT_KEY_VAR - 1;
      for (int i = 0; i < 16; i++)
        hex[i] = "0123456789abcdef"[(exit_key >> (60 - 4 * i)) & 15];
      hex[16] = '\0';
      vec[k++] = key;
    }
  }
  /* The children need not each wait for a collector we found unreachable. */
  if (xt_link_env(link, LINK_BYTES))
    vec[k++] = link;
  if (old_entry && (!xtp_cfg.self_path[0] || lists_self(old_preload))) {
    vec[k++] = (char *)old_entry;
  } else if (xtp_cfg.self_path[0]) {
    /* Sized by xtp_childenv_bytes, so this always fits. */
    size_t len = 0, cap = sizeof PRELOAD_VAR + (old_preload ? strlen(old_preload) : 0) + 1 +
                          strlen(xtp_cfg.self_path);
    preload[0] = '\0';
    append(preload, cap, &len, PRELOAD_VAR);
    if (old_preload && *old_preload) {
      append(preload, cap, &len, old_preload);
      append(preload, cap, &len, ":");
    }
    append(preload, cap, &len, xtp_cfg.self_path);
    vec[k++] = preload;
  }
  vec[k] = NULL;
  return vec;
}

/* Reads the key a traced parent passed; 0 when there is none. */
uint64_t xtp_env_exit_key(void) {
  const char *v = getenv("XTRACE_EXIT_KEY");
  if (!v)
    return 0;
  uint64_t key = 0;
  size_t i = 0;
  for (; i < 16 && v[i]; i++) {
    char c = v[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0)
      return 0;
    key = key << 4 | (uint64_t)d;
  }
  return i == 16 && !v[i] ? key : 0;
}

void xtp_record_spawn(const char *agent, const char *what, char *const argv[], const void *caller,
                      char label[XTP_SPAWN_LABEL], uint64_t event_id) {
  size_t len = 0;
  label[0] = '\0';
  append(label, XTP_SPAWN_LABEL, &len, agent);
  append(label, XTP_SPAWN_LABEL, &len, " ");
  append(label, XTP_SPAWN_LABEL, &len, what ? what : "?");
  append(label, XTP_SPAWN_LABEL, &len, ":");
  for (size_t i = 0; argv && argv[i] && len < XTP_SPAWN_LABEL - 1; i++) {
    append(label, XTP_SPAWN_LABEL, &len, " ");
    append(label, XTP_SPAWN_LABEL, &len, argv[i]);
  }
  const char *tags[] = {agent};
  xt_kv kv[] = {{"path", what ? what : ""}};
  xt_event_info ev = {.agent = "process",
                      .label = label,
                      .label_len = len,
                      .caller = caller,
                      .kv = kv,
                      .nkv = 1,
                      .tags = tags,
                      .ntags = 1,
                      .event_id = event_id};
  xtp_emit(&ev);
}
