#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "report.h"
#include "stats.h"
#include "stream.h"
#include "xtrace/frame.h"

/* Bytes read from one connection per wake-up: level-triggered epoll brings us
 * back for the rest, so one fast publisher cannot starve the others. */
#define READ_CHUNK (256 * 1024)
/* The longest frame header (both lengths and the longest topic): a partial
 * frame shorter than this may not tell its size yet. */
#define MAX_HEADER (4 + XT_FRAME_MAX_TOPIC + 4)
#define SCRATCH (MAX_HEADER + READ_CHUNK)
/* A batch goes to the writer once its arena holds this much (decoded
 * reports and their serialized bytes), or at batch_reports reports. */
#define BATCH_BYTES (4u << 20)

/* A partial frame is kept in pend. Once its header is in, pend is allocated
 * at the frame's full size and later reads go straight into it, so a frame
 * that arrives a few bytes at a time is copied once, not once per read. */
typedef struct conn {
  int fd;
  uint8_t *pend; /* the partial frame left by the last read, or NULL */
  size_t pend_len, pend_cap;
  int64_t progress_ms; /* last time bytes arrived (or the connection opened) */
  struct conn *prev, *next;
} conn;

struct xt__ingest {
  int lfd, efd, stopfd, reservefd;
  xt__queue *q;
  xt__ingest_limits lim;
  xt__batch *cur;
  uint8_t *scratch;
  conn *conns; /* all open connections, for the stall sweep and shutdown */
  size_t nconns;
  pthread_t thread;
  int started;
};

void xt__ingest_default_limits(xt__ingest_limits *lim) {
  lim->max_connections = 16384;
  lim->max_buffered = 256u << 20;
  lim->stall_ms = 30000;
  lim->batch_reports = 4096;
  lim->allow = NULL;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int xt__ingest_new(xt__ingest **out, int listen_fd, xt__queue *q, const xt__ingest_limits *lim) {
  xt__ingest *in = calloc(1, sizeof *in);
  if (!in) return -ENOMEM;
  in->lfd = listen_fd;
  in->efd = in->stopfd = in->reservefd = -1;
  in->q = q;
  in->lim = *lim;
  in->efd = epoll_create1(EPOLL_CLOEXEC);
  in->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  /* Kept open so that, when the process runs out of descriptors, one can be
   * freed to accept and close the waiting connection instead of spinning. */
  in->reservefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  in->scratch = malloc(SCRATCH);
  in->cur = xt__queue_get_spare(q);
  if (in->efd < 0 || in->stopfd < 0 || !in->scratch || !in->cur) {
    int err = in->efd < 0 || in->stopfd < 0 ? -errno : -ENOMEM;
    xt__ingest_free(in);
    return err;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &in->lfd};
  epoll_ctl(in->efd, EPOLL_CTL_ADD, in->lfd, &ev);
  ev.data.ptr = &in->stopfd;
  epoll_ctl(in->efd, EPOLL_CTL_ADD, in->stopfd, &ev);
  *out = in;
  return 0;
}

static void flush_batch(xt__ingest *in) {
  if (in->cur->n == 0) return;
  xt__queue_push(in->q, in->cur);
  in->cur = xt__queue_get_spare(in->q);
  /* Without memory for a new batch there is nothing to read into: wait. */
  while (!in->cur) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
    in->cur = xt__queue_get_spare(in->q);
  }
}

/* Reports are decoded straight into the current batch's arena. */
static xt__arena *batch_arena(void *arg) { return &((xt__ingest *)arg)->cur->arena; }

static int on_report(void *arg, Pubsub__XTraceReportv4 *m, const uint8_t *raw, size_t len) {
  xt__ingest *in = arg;
  /* On allocation failure the report is lost (the stream rewinds the arena)
   * but the stream stays in step. */
  if (xt__batch_add(in->cur, m, xt__report_time(m, wall_us()), raw, len) < 0) {
    xt__log("ingest", "out of memory: report dropped");
    return 0;
  }
  atomic_fetch_add_explicit(&xt__g_stats.received, 1, memory_order_relaxed);
  if (in->cur->n >= in->lim.batch_reports || in->cur->arena.used >= BATCH_BYTES) flush_batch(in);
  return 1;
}

/* The memory a connection holds is its buffer's capacity. */
static void set_held(conn *c, size_t cap) {
  atomic_fetch_add_explicit(&xt__g_stats.buffered, (int64_t)cap - (int64_t)c->pend_cap, memory_order_relaxed);
  c->pend_cap = cap;
}

static void release_pending(conn *c) {
  free(c->pend);
  c->pend = NULL;
  c->pend_len = 0;
  set_held(c, 0);
}

static void close_conn(xt__ingest *in, conn *c) {
  epoll_ctl(in->efd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  release_pending(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    in->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  in->nconns--;
  atomic_fetch_sub_explicit(&xt__g_stats.connections, 1, memory_order_relaxed);
  free(c);
}

static void reject_conn(xt__ingest *in, conn *c, xt__reject why) {
  xt__stats_count(why);
  xt__log("ingest", "dropping publisher connection: %s", xt__reject_name(why));
  close_conn(in, c);
}

static void count_copied(size_t n) {
  atomic_fetch_add_explicit(&xt__g_stats.copied, n, memory_order_relaxed);
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The size of the frame that starts at p, once its header is in: 0 while it
 * is not. Lengths past their bounds never reach here: xt__stream_consume
 * rejects them as soon as they are readable. */
static size_t frame_size(const uint8_t *p, size_t len) {
  if (len < 4) return 0;
  uint32_t topic = be32(p);
  if (len < 8 + (size_t)topic) return 0;
  return 8 + (size_t)topic + be32(p + 4 + topic);
}

/* Keeps the unconsumed tail of scratch as the connection's partial frame, at
 * the frame's full size when its header is in, or drops the connection if
 * that would pass the global memory bound. */
static int keep_tail(xt__ingest *in, conn *c, const uint8_t *tail, size_t n) {
  if (n == 0) {
    release_pending(c);
    return 0;
  }
  size_t cap = frame_size(tail, n);
  if (cap < n) cap = n;
  int64_t others = atomic_load_explicit(&xt__g_stats.buffered, memory_order_relaxed) - (int64_t)c->pend_cap;
  if ((size_t)others + cap > in->lim.max_buffered) return -ENOBUFS;
  if (cap != c->pend_cap) {
    uint8_t *p = realloc(c->pend, cap);
    if (!p) return -ENOBUFS;
    c->pend = p;
    set_held(c, cap);
  }
  memcpy(c->pend, tail, n);
  count_copied(n);
  c->pend_len = n;
  return 0;
}

/* 1 if the read got bytes, 0 if the connection is gone (closed here), -1
 * for nothing to read yet. */
static int received(xt__ingest *in, conn *c, ssize_t r) {
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
    close_conn(in, c);
    return 0;
  }
  if (r < 0) return -1;
  /* Progress is bytes, not finished frames: a large frame sent slowly is
   * not a stalled one. */
  c->progress_ms = now_ms();
  return 1;
}

/* One read. With no known frame pending, the new bytes land in scratch behind
 * the few header bytes a previous read left, and every complete frame is
 * parsed in place; a frame whose size is known is read into its own buffer. */
static void on_readable(xt__ingest *in, conn *c) {
  const xt__stream_sink sink = {on_report, batch_arena, in};
  size_t size = c->pend_len ? frame_size(c->pend, c->pend_len) : 0;
  if (size) {
    ssize_t r = recv(c->fd, c->pend + c->pend_len, size - c->pend_len, 0);
    if (received(in, c, r) <= 0) return;
    c->pend_len += (size_t)r;
    if (c->pend_len < size) return;
    if (xt__stream_consume(c->pend, size, &sink, NULL) < 0) {
      reject_conn(in, c, XT_REJ_FRAME_TOO_LARGE);
      return;
    }
    release_pending(c);
    return;
  }
  size_t have = c->pend_len; /* less than MAX_HEADER */
  if (have) {
    memcpy(in->scratch, c->pend, have);
    count_copied(have);
  }
  ssize_t r = recv(c->fd, in->scratch + have, READ_CHUNK, 0);
  if (received(in, c, r) <= 0) return;
  have += (size_t)r;
  long used = xt__stream_consume(in->scratch, have, &sink, NULL);
  if (used < 0) {
    reject_conn(in, c, XT_REJ_FRAME_TOO_LARGE);
    return;
  }
  if (keep_tail(in, c, in->scratch + used, have - (size_t)used) < 0) reject_conn(in, c, XT_REJ_MEMORY_LIMIT);
}

static void accept_all(xt__ingest *in) {
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(in->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if ((errno == EMFILE || errno == ENFILE) && in->reservefd >= 0) {
        close(in->reservefd);
        fd = accept4(in->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) close(fd);
        in->reservefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        xt__stats_count(XT_REJ_TOO_MANY_CONNS);
        continue;
      }
      return;
    }
    /* Closed before a byte is read: a peer outside the allowed networks
     * learns only that the port is open. */
    if (in->lim.allow && !xt__nets_allow(in->lim.allow, (struct sockaddr *)&peer)) {
      close(fd);
      xt__stats_count(XT_REJ_NOT_ALLOWED);
      continue;
    }
    conn *c = in->nconns < in->lim.max_connections ? calloc(1, sizeof *c) : NULL;
    if (!c) {
      close(fd);
      xt__stats_count(XT_REJ_TOO_MANY_CONNS);
      continue;
    }
    c->fd = fd;
    c->progress_ms = now_ms();
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(in->efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
      close(fd);
      free(c);
      continue;
    }
    c->next = in->conns;
    if (c->next) c->next->prev = c;
    in->conns = c;
    in->nconns++;
    atomic_fetch_add_explicit(&xt__g_stats.connections, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&xt__g_stats.accepted, 1, memory_order_relaxed);
  }
}

/* Idle connections cost a descriptor and nothing else and are kept; a
 * connection that holds part of a frame and stopped sending holds memory,
 * and is dropped after stall_ms. */
static void sweep_stalled(xt__ingest *in, int64_t now) {
  for (conn *c = in->conns, *n; c; c = n) {
    n = c->next;
    if (c->pend_len && now - c->progress_ms > in->lim.stall_ms) reject_conn(in, c, XT_REJ_STALLED);
  }
}

static void *run(void *arg) {
  xt__ingest *in = arg;
  pthread_setname_np(pthread_self(), "xt-ingest");
  struct epoll_event evs[256];
  int64_t last_sweep = now_ms();
  for (;;) {
    /* While commits fail, nothing is read: the publishers' data waits in
     * the kernel and then in their own buffers, which count what they drop.
     * The batch being filled is kept and queued once commits succeed. */
    if (atomic_load_explicit(&xt__g_stats.store_failing, memory_order_relaxed)) {
      struct pollfd p = {.fd = in->stopfd, .events = POLLIN};
      if (poll(&p, 1, 100) > 0) break;
      continue;
    }
    /* With reports waiting in the batch, poll without blocking: once the
     * sockets are quiet the batch goes to the writer at once. */
    int n = epoll_wait(in->efd, evs, 256, in->cur->n ? 0 : 1000);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) flush_batch(in);
    int stop = 0;
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &in->lfd)
        accept_all(in);
      else if (p == &in->stopfd)
        stop = 1;
      else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable(in, p);
    }
    if (stop) break;
    int64_t now = now_ms();
    if (now - last_sweep >= 1000) {
      sweep_stalled(in, now);
      last_sweep = now;
    }
  }
  flush_batch(in);
  return NULL;
}

int xt__ingest_start(xt__ingest *in) {
  int rc = pthread_create(&in->thread, NULL, run, in);
  if (rc) return -rc;
  in->started = 1;
  return 0;
}

void xt__ingest_stop(xt__ingest *in) {
  if (!in->started) return;
  uint64_t one = 1;
  ssize_t w = write(in->stopfd, &one, sizeof one);
  (void)w;
  pthread_join(in->thread, NULL);
  in->started = 0;
}

void xt__ingest_free(xt__ingest *in) {
  if (!in) return;
  xt__ingest_stop(in);
  while (in->conns) close_conn(in, in->conns);
  if (in->cur) xt__batch_free(in->cur);
  if (in->lfd >= 0) close(in->lfd);
  if (in->efd >= 0) close(in->efd);
  if (in->stopfd >= 0) close(in->stopfd);
  if (in->reservefd >= 0) close(in->reservefd);
  free(in->scratch);
  free(in);
}
