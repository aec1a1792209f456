#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xtrace/frame.h"
#include "xtrace_report.pb-c.h"

#define MAX_CONNS 64

struct listener {
  int fd;
  uint16_t port;
  pthread_t thread;
  atomic_bool stop, running;
  pthread_mutex_t lock;
  test_report **reports; /* each report stays put while the index grows */
  size_t count, cap, bad;
};

static void copy(char *dst, size_t cap, const char *src) {
  if (!src) src = "";
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void keep(listener *l, const uint8_t *msg, size_t len) {
  Pubsub__XTraceReportv4 *r = pubsub__xtrace_reportv4__unpack(NULL, len, msg);
  pthread_mutex_lock(&l->lock);
  if (!r) {
    l->bad++;
    pthread_mutex_unlock(&l->lock);
    return;
  }
  if (l->count == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 1024;
    l->reports = realloc(l->reports, l->cap * sizeof *l->reports);
  }
  test_report *t = calloc(1, sizeof *t);
  l->reports[l->count++] = t;
  t->task_id = r->task_id;
  t->event_id = r->event_id;
  t->nparents = r->n_parent_event_id < 32 ? r->n_parent_event_id : 32;
  if (t->nparents) memcpy(t->parents, r->parent_event_id, t->nparents * sizeof(int64_t));
  t->timestamp = r->timestamp;
  t->hrt = r->hrt;
  t->pid = r->process_id;
  t->tid = r->thread_id;
  copy(t->host, sizeof t->host, r->host);
  copy(t->agent, sizeof t->agent, r->agent);
  t->label = strdup(r->label ? r->label : "");
  copy(t->source, sizeof t->source, r->source);
  copy(t->thread_name, sizeof t->thread_name, r->threadname);
  copy(t->process_name, sizeof t->process_name, r->process_name);
  t->nkv = r->n_key;
  t->ntags = r->n_tags;
  if (r->n_key) copy(t->key0, sizeof t->key0, r->key[0]);
  if (r->n_value) copy(t->value0, sizeof t->value0, r->value[0]);
  if (r->n_tags) copy(t->tag0, sizeof t->tag0, r->tags[0]);
  pthread_mutex_unlock(&l->lock);
  pubsub__xtrace_reportv4__free_unpacked(r, NULL);
}

typedef struct conn {
  int fd;
  uint8_t *buf;
  size_t len;
} conn;

/* Reads what is there and consumes every whole frame; false when the
 * connection is done. */
static int serve(listener *l, conn *c) {
  if (c->len == XT_FRAME_MAX_MESSAGE * 2) return 0;
  ssize_t r = read(c->fd, c->buf + c->len, XT_FRAME_MAX_MESSAGE * 2 - c->len);
  if (r <= 0) return 0;
  c->len += (size_t)r;
  size_t off = 0;
  xt_frame f;
  long n;
  while ((n = xt_frame_parse(c->buf + off, c->len - off, &f)) > 0) {
    keep(l, f.msg, f.msg_len);
    off += (size_t)n;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return n >= 0;
}

static void *run(void *arg) {
  listener *l = arg;
  struct pollfd pfd[MAX_CONNS + 1];
  conn conns[MAX_CONNS];
  size_t nconns = 0;
  atomic_store(&l->running, true);
  while (!atomic_load(&l->stop)) {
    pfd[0] = (struct pollfd){.fd = l->fd, .events = POLLIN};
    for (size_t i = 0; i < nconns; i++) pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    if (poll(pfd, nconns + 1, 20) <= 0) continue;
    if ((pfd[0].revents & POLLIN) && nconns < MAX_CONNS) {
      int fd = accept(l->fd, NULL, NULL);
      if (fd >= 0) conns[nconns++] = (conn){fd, malloc(XT_FRAME_MAX_MESSAGE * 2), 0};
    }
    for (size_t i = nconns; i-- > 0;) {
      if (!pfd[i + 1].revents || serve(l, &conns[i])) continue;
      close(conns[i].fd);
      free(conns[i].buf);
      conns[i] = conns[--nconns];
    }
  }
  for (size_t i = 0; i < nconns; i++) {
    close(conns[i].fd);
    free(conns[i].buf);
  }
  return NULL;
}

listener *listener_start(uint16_t port) {
  listener *l = calloc(1, sizeof *l);
  l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(l->fd, (struct sockaddr *)&a, sizeof a) || listen(l->fd, 64) ||
      getsockname(l->fd, (struct sockaddr *)&a, &alen)) {
    close(l->fd);
    free(l);
    return NULL;
  }
  l->port = ntohs(a.sin_port);
  pthread_mutex_init(&l->lock, NULL);
  pthread_create(&l->thread, NULL, run, l);
  /* Tests fork right after this. A thread still starting holds allocator
   * locks (its own runtime state, a sanitizer's thread registry); a child
   * forked then inherits them held and deadlocks at its first thread or
   * allocation. Idle in poll, the thread holds none. */
  while (!atomic_load(&l->running)) {
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  return l;
}

uint16_t listener_port(const listener *l) { return l->port; }

void listener_stop(listener *l) {
  atomic_store(&l->stop, true);
  pthread_join(l->thread, NULL);
  close(l->fd);
  pthread_mutex_destroy(&l->lock);
  for (size_t i = 0; i < l->count; i++) {
    free(l->reports[i]->label);
    free(l->reports[i]);
  }
  free(l->reports);
  free(l);
}

size_t listener_count(listener *l) {
  pthread_mutex_lock(&l->lock);
  size_t n = l->count;
  pthread_mutex_unlock(&l->lock);
  return n;
}

size_t listener_bad_frames(listener *l) {
  pthread_mutex_lock(&l->lock);
  size_t n = l->bad;
  pthread_mutex_unlock(&l->lock);
  return n;
}

size_t listener_wait(listener *l, size_t n, unsigned timeout_ms) {
  for (unsigned waited = 0;; waited += 5) {
    size_t have = listener_count(l);
    if (have >= n || waited >= timeout_ms) return have;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
}

const test_report *listener_report(listener *l, size_t i) {
  pthread_mutex_lock(&l->lock);
  const test_report *r = i < l->count ? l->reports[i] : NULL;
  pthread_mutex_unlock(&l->lock);
  return r;
}
