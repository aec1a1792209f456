/*
 * The environment a traced child starts with: the caller's environment (or
 * the envp it passed), minus any stale XTRACE_BAGGAGE, plus the calling
 * thread's context as XTRACE_BAGGAGE and this library in LD_PRELOAD.
 *
 * The caller's environ is never modified: other threads may read it at the
 * same time, and exec only returns on failure, when the program must find its
 * environment as it left it. Everything lives in the caller-provided struct
 * (on the hook's stack) or, for a huge environment, in an mmap'd vector:
 * both are safe in a vfork child, where malloc is not.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* True if the colon/space separated LD_PRELOAD list names this library. */
static bool lists_self(const char *list) {
  const char *self = xt__cfg.self_path;
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

void xt__childenv_build(xt__childenv *ce, char *const envp[]) {
  if (!envp)
    envp = environ;
  ce->heap = NULL;
  ce->envp = (char **)envp;
  if (!envp)
    return;
  size_t n = 0;
  while (envp[n])
    n++;
  char **vec = ce->stackvec;
  size_t cap = sizeof ce->stackvec / sizeof ce->stackvec[0];
  if (n + 4 > cap) {
    cap = n + 4;
    void *m = mmap(NULL, cap * sizeof *vec, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED)
      return;
    vec = ce->heap = m;
    ce->heap_bytes = cap * sizeof *vec;
  }
  size_t k = 0;
  const char *old_preload = NULL;
  char *old_entry = NULL;
  for (size_t i = 0; i < n; i++) {
    if (has_prefix(envp[i], "XTRACE_BAGGAGE=") || has_prefix(envp[i], XT_LINK_ENV "="))
      continue;
    if (has_prefix(envp[i], "LD_PRELOAD=")) {
      old_entry = envp[i];
      old_preload = envp[i] + sizeof "LD_PRELOAD=" - 1;
      continue;
    }
    vec[k++] = envp[i];
  }
  bg_context *ctx = xt_context();
  if (ctx->task_id) {
    size_t pre = sizeof "XTRACE_BAGGAGE=" - 1;
    memcpy(ce->baggage, "XTRACE_BAGGAGE=", pre);
    if (bg_env_encode(ctx, ce->baggage + pre, sizeof ce->baggage - pre) >= 0)
      vec[k++] = ce->baggage;
  }
  if (xt_link_env(ce->link, sizeof ce->link))
    vec[k++] = ce->link;
  if (old_preload && (!xt__cfg.self_path[0] || lists_self(old_preload))) {
    vec[k++] = old_entry;
  } else if (xt__cfg.self_path[0]) {
    int m = snprintf(ce->preload, sizeof ce->preload, "LD_PRELOAD=%s%s%s",
                     old_preload ? old_preload : "", old_preload && *old_preload ? ":" : "",
                     xt__cfg.self_path);
    if (m > 0 && (size_t)m < sizeof ce->preload)
      vec[k++] = ce->preload;
    else if (old_entry)
      vec[k++] = old_entry;
  }
  vec[k] = NULL;
  ce->envp = vec;
}

void xt__childenv_free(xt__childenv *ce) {
  if (ce->heap)
    munmap(ce->heap, ce->heap_bytes);
  ce->heap = NULL;
}

void xt__record_spawn(const char *agent, const char *what, char *const argv[],
                      const void *caller) {
  char label[1024];
  size_t len = 0;
  int m = snprintf(label, sizeof label, "%s %s:", agent, what ? what : "?");
  len = m > 0 ? ((size_t)m < sizeof label ? (size_t)m : sizeof label - 1) : 0;
  for (size_t i = 0; argv && argv[i] && len < sizeof label - 1; i++) {
    m = snprintf(label + len, sizeof label - len, " %s", argv[i]);
    if (m < 0)
      break;
    len += (size_t)m;
    if (len >= sizeof label)
      len = sizeof label - 1;
  }
  const char *tags[] = {agent};
  xt_kv kv[] = {{"path", what ? what : ""}};
  xt_event_info ev = {.agent = "process", .label = label, .label_len = len, .caller = caller,
                      .kv = kv, .nkv = 1, .tags = tags, .ntags = 1};
  xt__emit(&ev);
}
