#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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
/* The largest partial frame a connection can hold, plus one read. */
#define MAX_FRAME (4 + XT_FRAME_MAX_TOPIC + 4 + XT_FRAME_MAX_MESSAGE)
#define SCRATCH (MAX_FRAME + READ_CHUNK)
/* A batch goes to the writer once its arena holds this much (decoded
 * reports and their serialized bytes), or at batch_reports reports. */
#define BATCH_BYTES (4u << 20)

typedef struct conn {
  int fd;
  uint8_t *pend; /* the partial frame left by the last read, or NULL */
  size_t pend_len;
  int64_t progress_ms; /* last time a frame completed (or the connection opened) */
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

static void set_pending(conn *c, size_t len) {
  atomic_fetch_add_explicit(&xt__g_stats.buffered, (int64_t)len - (int64_t)c->pend_len,
                            memory_order_relaxed);
  c->pend_len = len;
}

static void close_conn(xt__ingest *in, conn *c) {
  epoll_ctl(in->efd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  set_pending(c, 0);
  free(c->pend);
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

/* Keeps the unconsumed tail of scratch as the connection's partial frame, or
 * drops the connection if that would pass the global memory bound. */
static int keep_tail(xt__ingest *in, conn *c, const uint8_t *tail, size_t n) {
  if (n == 0) {
    free(c->pend);
    c->pend = NULL;
    set_pending(c, 0);
    return 0;
  }
  int64_t others = atomic_load_explicit(&xt__g_stats.buffered, memory_order_relaxed) - (int64_t)c->pend_len;
  if ((size_t)others + n > in->lim.max_buffered) return -ENOBUFS;
  uint8_t *p = realloc(c->pend, n);
  if (!p) return -ENOBUFS;
  memcpy(p, tail, n);
  c->pend = p;
  set_pending(c, n);
  return 0;
}

/* One read: the partial frame goes first in scratch, then the new bytes, so
 * every complete frame is parsed in place without another copy. */
static void on_readable(xt__ingest *in, conn *c) {
  if (c->pend_len) memcpy(in->scratch, c->pend, c->pend_len);
  size_t have = c->pend_len;
  ssize_t r = recv(c->fd, in->scratch + have, SCRATCH - have < READ_CHUNK ? SCRATCH - have : READ_CHUNK, 0);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
    close_conn(in, c);
    return;
  }
  if (r < 0) return;
  have += (size_t)r;
  size_t frames;
  const xt__stream_sink sink = {on_report, batch_arena, in};
  long used = xt__stream_consume(in->scratch, have, &sink, &frames);
  if (used < 0) {
    reject_conn(in, c, XT_REJ_FRAME_TOO_LARGE);
    return;
  }
  if (frames) c->progress_ms = now_ms();
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
