/*
 * Per-thread, per-stream line assembly.
 *
 * Where each stream stands (at a line's start, inside a recorded line, ...)
 * is a byte of initial-exec TLS per stream; the text of a line that spans
 * calls is held in a buffer that a thread takes on its first such line, from
 * a pool mapped once at start-up, and gives back at exit (a pthread key's
 * destructor). Only the pool's slots are taken from a write() hook, which
 * may run in a signal handler: a pop from a lock-free list, no allocation.
 * When the pool is empty a stdio hook maps a buffer of its own, a write()
 * hook records the part line it has as it is. A signal that lands while this
 * thread is already inside a hook finds xtp_depth set and passes straight
 * through, so a buffer is never entered twice at once.
 *
 * Lines are decided at their first byte: a token of the stream's budget, or
 * the line is not recorded. So a call that starts a line when there is no
 * token passes through without being scanned (xtp_line_over).
 */
#include "logging/logging.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "internal.h"

/* Where a stream's next byte falls on this thread. */
enum {
  LB_START, /* at the start of a line */
  LB_LINE,  /* inside a line that will be recorded */
  LB_SPILL, /* inside a line whose event is out already (cut, or a flush) */
  LB_DROP,  /* inside a line refused by the budget */
};

typedef struct linebuf {
  uint32_t len;
  const char *agent; /* of the line's first piece */
  const void *caller;
  uint64_t id; /* prefix mode: the event ID the line's prefix names */
  char buf[XT_LABEL_MAX];
} linebuf;

typedef struct lineset {
  uint32_t next; /* free list: next slot's index + 1; 0 ends it */
  bool own_map;  /* mapped for this thread alone (the pool was empty) */
  linebuf s[XTP_OUT_N];
  char scratch[XT_LABEL_MAX + 1];
} lineset;

static XTP_TLS lineset *tl_set;
static XTP_TLS uint8_t tl_mode[XTP_OUT_N];
/* What this thread passed over budget and has not yet added to the shared
 * count: an atomic add per refused call would be most of its cost. */
static XTP_TLS uint32_t tl_drop_lines[XTP_OUT_N];
static XTP_TLS uint32_t tl_drop_bytes[XTP_OUT_N];
#define DROP_PUBLISH_LINES 1024 /* keeps the shared count near the truth */

/* The pool ------------------------------------------------------------------ */

#define SLOT_BYTES ((sizeof(lineset) + 4095) & ~(size_t)4095)
#define POOL_SLOTS 64 /* threads logging at once before stdio maps its own */

static char *pool;
static uint32_t pool_fresh; /* slots handed out at least once */
static uint64_t pool_free;  /* ABA tag << 32 | (index + 1) of the free list's head */
static pthread_key_t set_key;
static bool set_key_ok;

static lineset *slot(uint32_t i) { return (lineset *)(pool + (size_t)i * SLOT_BYTES); }

static void set_release(void *p);

void xtp_line_setup(void) {
  /* Reserved, not touched: a slot costs memory only once a thread uses it. */
  void *m = mmap(NULL, SLOT_BYTES * POOL_SLOTS, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m != MAP_FAILED)
    pool = m;
  set_key_ok = pthread_key_create(&set_key, set_release) == 0;
}

/* A slot that an earlier thread gave back, else one never used. The tag in
 * the head's upper half makes a CAS fail if the head was popped and pushed
 * again in between (ABA). */
static lineset *pool_pop(void) {
  if (!pool)
    return NULL;
  uint64_t head = __atomic_load_n(&pool_free, __ATOMIC_ACQUIRE);
  while ((uint32_t)head) {
    lineset *ls = slot((uint32_t)head - 1);
    uint64_t next = ((head >> 32) + 1) << 32 | __atomic_load_n(&ls->next, __ATOMIC_RELAXED);
    if (__atomic_compare_exchange_n(&pool_free, &head, next, true, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE))
      return ls;
  }
  if (__atomic_load_n(&pool_fresh, __ATOMIC_RELAXED) >= POOL_SLOTS)
    return NULL;
  uint32_t i = __atomic_fetch_add(&pool_fresh, 1, __ATOMIC_RELAXED);
  return i < POOL_SLOTS ? slot(i) : NULL;
}

static void pool_push(lineset *ls) {
  uint32_t idx = (uint32_t)(((char *)ls - pool) / SLOT_BYTES) + 1;
  uint64_t head = __atomic_load_n(&pool_free, __ATOMIC_RELAXED);
  do
    __atomic_store_n(&ls->next, (uint32_t)head, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(&pool_free, &head, ((head >> 32) + 1) << 32 | idx, true,
                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static lineset *set_get(bool signal_safe) {
  lineset *ls = tl_set;
  if (ls)
    return ls;
  /* pthread_setspecific allocates for keys past the first block of 32. */
  if (signal_safe && (!set_key_ok || set_key >= 32))
    return NULL;
  ls = pool_pop();
  if (ls) {
    ls->own_map = false;
  } else if (!signal_safe) {
    void *m = mmap(NULL, SLOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      return NULL;
    ls = m;
    ls->own_map = true;
  } else {
    return NULL;
  }
  for (int s = 0; s < XTP_OUT_N; s++)
    ls->s[s].len = 0;
  tl_set = ls;
  if (set_key_ok)
    pthread_setspecific(set_key, ls);
  return ls;
}

/* Thread exit: what the thread still holds is recorded, then the buffer goes
 * back. (Threads the hooks started have drained already; others have not.) */
static void set_release(void *p) {
  lineset *ls = p;
  if (tl_set == ls && xtp_traced()) {
    xtp_depth++;
    xtp_line_flush_all();
    xtp_depth--;
  }
  tl_set = NULL;
  if (ls->own_map)
    munmap(ls, SLOT_BYTES);
  else
    pool_push(ls);
}

/* Output ----------------------------------------------------------------- */

/* Hands p[0, n) to the sink through the real fwrite, or the real write
 * until all is written (retrying short writes, as vdprintf does). Returns
 * the bytes it took: n, or fewer with errno set (by fwrite: as it left it). */
/* Inlined: it is most of xtp_line_out, which every recorded line in prefix
 * mode or from formatted output takes. */
static inline __attribute__((always_inline)) size_t sink_put(const xtp_sink *sink, const char *p,
                                                             size_t n) {
  if (sink->fp) {
    fwrite_fn fw = REAL(fwrite);
    if (!fw) {
      errno = ENOSYS;
      return 0;
    }
    return fw(p, 1, n, sink->fp);
  }
  write_fn w = REAL(write);
  if (!w) {
    errno = ENOSYS;
    return 0;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t r = w(sink->fd, p + done, n - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      errno = EIO; /* took nothing and said nothing */
    if (r <= 0)
      break;
    done += (size_t)r;
  }
  return done;
}

int xtp_line_out(int s, const xtp_sink *sink, const char *text, size_t n, bool inplace,
                 const void *caller, bool signal_safe) {
  const char *agent = xtp_stream_agent(s);
  if (xtp_cfg.log_prefix) {
    int rc = inplace ? xtp_line_commit(s, n, agent, caller, sink)
                     : xtp_line_feed(s, text, n, agent, caller, sink, signal_safe);
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
    return (int)n;
  }
  size_t done = sink_put(sink, text, n);
  int err = errno;
  if (inplace)
    xtp_line_commit(s, done, agent, caller, NULL);
  else
    xtp_line_feed(s, text, done, agent, caller, NULL, signal_safe);
  errno = err;
  return done == n ? (int)n : -1;
}

/* Prefix mode ------------------------------------------------------------- */

/* sink_put as 0 or a negative errno. */
static int sink_write(const xtp_sink *sink, const char *p, size_t n) {
  if (!sink || n == 0)
    return 0;
  return sink_put(sink, p, n) == n ? 0 : -(errno ? errno : EIO);
}

/* The prefix and the first piece of its line go out together: one writev for
 * a descriptor, one stream lock for stdio, so other threads' output cannot
 * come in between. */
static int write_prefixed(const xtp_sink *sink, uint64_t event, const char *p, size_t n) {
  if (!sink)
    return 0;
  if (event == 0)
    return sink_write(sink, p, n);
  char pre[64];
  int pn = snprintf(pre, sizeof pre, "[xtrace %016" PRIx64 " %" PRIu64 "] ", xt_context()->task_id,
                    event);
  if (sink->fp) {
    flockfile(sink->fp);
    int rc = sink_write(sink, pre, (size_t)pn);
    if (rc == 0)
      rc = sink_write(sink, p, n);
    funlockfile(sink->fp);
    return rc;
  }
  writev_fn wv = REAL(writev);
  if (!wv)
    return -ENOSYS;
  struct iovec iov[2] = {{pre, (size_t)pn}, {(void *)p, n}};
  ssize_t r;
  do
    r = wv(sink->fd, iov, 2);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  size_t done = (size_t)r;
  if (done < (size_t)pn) /* a short write: finish it the slow way */
    return sink_write(sink, pre + done, (size_t)pn - done) ?: sink_write(sink, p, n);
  return sink_write(sink, p + (done - (size_t)pn), n - (done - (size_t)pn));
}

/* Lines ------------------------------------------------------------------- */

/* A line's event: no trailing \r (CRLF output), and an empty line is none. */
static void emit(const char *agent, const void *caller, uint64_t id, const char *p, size_t n) {
  while (n > 0 && p[n - 1] == '\r')
    n--;
  if (n == 0)
    return;
  xt_event_info ev = {.agent = agent, .label = p, .label_len = n, .caller = caller, .event_id = id};
  xtp_emit(&ev);
}

/* One call's bytes on one stream. */
typedef struct piece {
  int s;
  const char *agent;
  const void *caller;
  const xtp_sink *sink;
  bool signal_safe;
} piece;

/* Newlines in p[0, n): only for the rest of a call the budget refused while
 * it was being scanned anyway. */
static uint64_t count_lines(const char *p, size_t n) {
  uint64_t k = 0;
  for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
    k++;
  return k;
}

static void publish_drops(int s) {
  if (tl_drop_lines[s] | tl_drop_bytes[s]) {
    xtp_budget_drop(s, tl_drop_lines[s], tl_drop_bytes[s]);
    tl_drop_lines[s] = tl_drop_bytes[s] = 0;
  }
}

/* Starts a line: its token, its prefix, its buffer's fields. Returns false if
 * the budget refuses it. The thread's own drops are counted first, so that
 * the episode's marker, which the token may bring, includes them. */
static bool begin_line(const piece *pc, linebuf *lb, uint64_t *id) {
  publish_drops(pc->s);
  if (!xtp_budget_take(pc->s, xtp_budget_now()))
    return false;
  *id = pc->sink && xt_in_task() ? bg_id_fresh() : 0;
  if (lb) {
    lb->len = 0;
    lb->agent = pc->agent;
    lb->caller = pc->caller;
    lb->id = *id;
  }
  tl_mode[pc->s] = LB_LINE;
  return true;
}

/* Appends to the held line; a line that fills the buffer is recorded cut
 * there and the rest of it is not. */
static void hold(const piece *pc, linebuf *lb, const char *p, size_t k) {
  size_t room = sizeof lb->buf - lb->len;
  size_t c = k < room ? k : room;
  if (p != lb->buf + lb->len)
    memmove(lb->buf + lb->len, p, c);
  lb->len += (uint32_t)c;
  if (lb->len == sizeof lb->buf) {
    memcpy(lb->buf + lb->len - (sizeof XT_CUT_MARKER - 1), XT_CUT_MARKER, sizeof XT_CUT_MARKER - 1);
    emit(lb->agent, lb->caller, lb->id, lb->buf, lb->len);
    lb->len = 0;
    tl_mode[pc->s] = LB_SPILL;
  }
}

static int feed(const piece *pc, const char *p, size_t n) {
  int s = pc->s, rc = 0;
  lineset *ls = tl_set;
  linebuf *lb = ls ? &ls->s[s] : NULL;
  /* The current line's fields when it began in this call with no buffer. */
  uint64_t id = 0;
  bool fresh = false;
  while (n > 0) {
    bool opened = false;
    if (tl_mode[s] == LB_START) {
      size_t e = p[0] == '\n' ? 1 : (n > 1 && p[0] == '\r' && p[1] == '\n') ? 2 : 0;
      if (e) { /* an empty line: no event, no token, no prefix */
        rc = sink_write(pc->sink, p, e) ?: rc;
        p += e;
        n -= e;
        continue;
      }
      if (!begin_line(pc, lb, &id)) {
        bool ends = p[n - 1] == '\n';
        xtp_budget_drop(s, count_lines(p, n), n);
        tl_mode[s] = ends ? LB_START : LB_DROP;
        return sink_write(pc->sink, p, n) ?: rc;
      }
      fresh = opened = true;
    }
    const char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) + 1 : n;
    int w = opened ? write_prefixed(pc->sink, id, p, k) : sink_write(pc->sink, p, k);
    rc = w ?: rc;
    switch (tl_mode[s]) {
    case LB_DROP:
      xtp_budget_drop(s, nl != NULL, k);
      /* fall through */
    case LB_SPILL:
      if (nl)
        tl_mode[s] = LB_START;
      break;
    case LB_LINE:
      if (nl) {
        if (lb && lb->len) {
          hold(pc, lb, p, k - 1);
          if (tl_mode[s] == LB_LINE)
            emit(lb->agent, lb->caller, lb->id, lb->buf, lb->len);
        } else if (lb && !fresh) {
          emit(lb->agent, lb->caller, lb->id, p, k - 1); /* zero-copy */
        } else {
          emit(pc->agent, pc->caller, id, p, k - 1);
        }
        if (lb)
          lb->len = 0;
        tl_mode[s] = LB_START;
      } else {
        if (!lb && (ls = set_get(pc->signal_safe)) != NULL) {
          lb = &ls->s[s];
          lb->len = 0;
          lb->agent = pc->agent;
          lb->caller = pc->caller;
          lb->id = id;
        }
        if (lb && fresh && lb->len == 0) {
          lb->agent = pc->agent;
          lb->caller = pc->caller;
          lb->id = id;
        }
        if (lb) {
          hold(pc, lb, p, k);
        } else { /* nowhere to hold it: record the part line as it is */
          emit(pc->agent, pc->caller, id, p, k);
          tl_mode[s] = LB_SPILL;
        }
      }
      break;
    }
    p += k;
    n -= k;
  }
  return rc;
}

bool xtp_line_over(int s) {
  uint8_t m = tl_mode[s];
  if (m == LB_LINE || m == LB_SPILL)
    return false;
  return !xtp_budget_open(s, xtp_budget_now());
}

void xtp_line_skipped(int s, size_t bytes, bool ends_line) {
  tl_drop_lines[s] += ends_line;
  tl_drop_bytes[s] += (uint32_t)(bytes < UINT32_MAX / 2 ? bytes : UINT32_MAX / 2);
  if (tl_drop_lines[s] >= DROP_PUBLISH_LINES || tl_drop_bytes[s] >= UINT32_MAX / 2)
    publish_drops(s);
  if (ends_line)
    tl_mode[s] = LB_START;
  else if (bytes)
    tl_mode[s] = LB_DROP;
}

char *xtp_line_tail(int s, size_t *avail) {
  lineset *ls = set_get(false);
  if (!ls)
    return NULL;
  linebuf *lb = &ls->s[s];
  /* A line in any other state holds nothing: its bytes start at 0. */
  if (tl_mode[s] != LB_LINE)
    lb->len = 0;
  *avail = sizeof lb->buf - lb->len;
  return lb->buf + lb->len;
}

char *xtp_line_scratch(size_t *cap) {
  lineset *ls = set_get(false);
  *cap = ls ? sizeof ls->scratch : 0;
  return ls ? ls->scratch : NULL;
}

int xtp_line_commit(int s, size_t n, const char *agent, const void *caller, const xtp_sink *sink) {
  lineset *ls = tl_set;
  if (!ls || n == 0)
    return 0;
  piece pc = {s, agent, caller, sink, false};
  return feed(&pc, ls->s[s].buf + ls->s[s].len, n);
}

int xtp_line_feed(int s, const void *p, size_t n, const char *agent, const void *caller,
                  const xtp_sink *sink, bool signal_safe) {
  if (n == 0)
    return 0;
  piece pc = {s, agent, caller, sink, signal_safe};
  return feed(&pc, p, n);
}

void xtp_line_open(int s, const char *agent, const void *caller, const xtp_sink *sink) {
  if (tl_mode[s] != LB_START)
    return;
  lineset *ls = set_get(false);
  piece pc = {s, agent, caller, sink, false};
  uint64_t id;
  if (!ls || !begin_line(&pc, &ls->s[s], &id))
    return; /* the text will be fed into LB_START and take its chance there */
  write_prefixed(sink, id, "", 0);
}

void xtp_line_flush_all(void) {
  xtp_stdio_collect();
  lineset *ls = tl_set;
  for (int s = 0; s < XTP_OUT_N; s++) {
    if (tl_mode[s] != LB_LINE || !ls)
      continue;
    linebuf *lb = &ls->s[s];
    if (lb->len) {
      emit(lb->agent, lb->caller, lb->id, lb->buf, lb->len);
      lb->len = 0;
    }
    /* What the program writes on this line later is the recorded line's. */
    tl_mode[s] = LB_SPILL;
  }
  for (int s = 0; s < XTP_OUT_N; s++)
    publish_drops(s);
  xtp_budget_report_all();
}

/* The child has one thread: every pool slot but its own is free again (the
 * parent's other threads' slots would otherwise stay taken for good). */
static void pool_fork_child(void) {
  if (!pool)
    return;
  uint32_t used = __atomic_load_n(&pool_fresh, __ATOMIC_RELAXED);
  if (used > POOL_SLOTS)
    used = POOL_SLOTS;
  uint32_t head = 0;
  for (uint32_t i = used; i-- > 0;) {
    if (slot(i) == tl_set)
      continue;
    slot(i)->next = head;
    head = i + 1;
  }
  __atomic_store_n(&pool_free, head, __ATOMIC_RELAXED);
}

void xtp_line_after_fork_child(void) {
  for (int s = 0; s < XTP_OUT_N; s++) {
    tl_mode[s] = LB_START;
    tl_drop_lines[s] = tl_drop_bytes[s] = 0;
    if (tl_set)
      tl_set->s[s].len = 0;
  }
  pool_fork_child();
}
