/*
 * Per-thread, per-stream line assembly. The buffers are initial-exec TLS, so a
 * write() hook that runs inside a signal handler only copies bytes and calls
 * the lock-free xt_event: no malloc, no lock, no lazy TLS allocation. A signal
 * that lands while this thread is already inside a hook finds xt__depth set
 * and passes straight through, so a buffer is never entered twice at once.
 */
#include "logging.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "common.h"

typedef struct linebuf {
  uint32_t len;
  bool spill;           /* this line's event is out already (it overflowed) */
  const char *agent;    /* of the line's first piece */
  const void *caller;
  xt__sink sink;        /* last sink seen, for the flush at exit */
  char buf[XT_LABEL_MAX];
} linebuf;

static XT_TLS linebuf lines[XT_OUT_N];

char *xt__line_tail(int s, size_t *avail) {
  linebuf *lb = &lines[s];
  *avail = sizeof lb->buf - lb->len;
  return lb->buf + lb->len;
}

static int sink_write(const xt__sink *sink, const char *p, size_t n) {
  if (!sink || n == 0)
    return 0;
  if (sink->fp) {
    fwrite_fn fw = REAL(fwrite);
    if (!fw)
      return -ENOSYS;
    return fw(p, 1, n, sink->fp) == n ? 0 : -(errno ? errno : EIO);
  }
  write_fn w = REAL(write);
  if (!w)
    return -ENOSYS;
  while (n > 0) {
    ssize_t r = w(sink->fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return r < 0 ? -errno : -EIO;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* The prefix and its line go out together: one writev for a descriptor, one
 * stream lock for stdio, so other threads' output cannot come in between. */
static int write_prefixed(const xt__sink *sink, uint64_t event, const char *p, size_t n) {
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

/* Records buf[0, n) as one event; a full buffer gets the cut marker over its
 * last bytes, which are put back afterwards for prefix mode's output. */
static uint64_t emit_line(linebuf *lb, size_t n, bool cut) {
  if (!cut)
    return xt__emit_text(lb->agent, lb->buf, n, lb->caller);
  char saved[sizeof XT_CUT_MARKER - 1];
  char *at = lb->buf + n - sizeof saved;
  memcpy(saved, at, sizeof saved);
  memcpy(at, XT_CUT_MARKER, sizeof saved);
  uint64_t id = xt__emit_text(lb->agent, lb->buf, n, lb->caller);
  memcpy(at, saved, sizeof saved);
  return id;
}

/* Ends the line at buf[0, n): an event unless the line already had its event,
 * then, in prefix mode, the text. The rest of the buffer moves to the front. */
static int end_line(linebuf *lb, size_t n, size_t consumed, bool cut, const xt__sink *sink) {
  int rc = 0;
  if (lb->spill) {
    if (xt__cfg.log_prefix)
      rc = sink_write(sink, lb->buf, consumed);
  } else {
    uint64_t id = emit_line(lb, n, cut);
    if (xt__cfg.log_prefix)
      rc = write_prefixed(sink, id, lb->buf, consumed);
  }
  lb->spill = cut;
  memmove(lb->buf, lb->buf + consumed, lb->len - consumed);
  lb->len -= (uint32_t)consumed;
  return rc;
}

int xt__line_commit(int s, size_t n, const char *agent, const void *caller, const xt__sink *sink) {
  linebuf *lb = &lines[s];
  if (lb->len == 0 && !lb->spill) {
    lb->agent = agent;
    lb->caller = caller;
  }
  if (sink)
    lb->sink = *sink;
  size_t scan = lb->len;
  lb->len += (uint32_t)n;
  int rc = 0;
  char *nl;
  while ((nl = memchr(lb->buf + scan, '\n', lb->len - scan)) != NULL) {
    size_t n_line = (size_t)(nl - lb->buf);
    int r = end_line(lb, n_line, n_line + 1, false, sink);
    if (r && !rc)
      rc = r;
    lb->spill = false;
    lb->agent = agent;
    lb->caller = caller;
    scan = 0;
  }
  if (lb->len == sizeof lb->buf) {
    int r = end_line(lb, lb->len, lb->len, true, sink);
    if (r && !rc)
      rc = r;
  }
  return rc;
}

int xt__line_feed(int s, const void *p, size_t n, const char *agent, const void *caller,
                  const xt__sink *sink) {
  const char *c = p;
  int rc = 0;
  while (n > 0) {
    size_t avail;
    char *tail = xt__line_tail(s, &avail);
    size_t k = n < avail ? n : avail;
    memcpy(tail, c, k);
    int r = xt__line_commit(s, k, agent, caller, sink);
    if (r && !rc)
      rc = r;
    c += k;
    n -= k;
  }
  return rc;
}

void xt__line_flush_all(void) {
  for (int s = 0; s < XT_OUT_N; s++) {
    linebuf *lb = &lines[s];
    if (lb->len == 0) {
      lb->spill = false;
      continue;
    }
    xt__sink sink = lb->sink;
    end_line(lb, lb->len, lb->len, false, &sink);
    lb->spill = false;
  }
}

void xt__line_reset_all(void) {
  for (int s = 0; s < XT_OUT_N; s++) {
    lines[s].len = 0;
    lines[s].spill = false;
  }
}
