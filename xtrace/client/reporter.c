/* The reporter thread: drains the ring, encodes reports, and writes pubsub
 * frames to the collector. Everything that may block lives here, never on an
 * application thread. While the collector is unreachable the ring keeps the
 * events; once it is full, producers drop and count. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "xtrace/frame.h"

#define BACKOFF_MIN_MS 20u
#define BACKOFF_MAX_MS 1000u
#define IDLE_MAX_MS 20u
/* While events trickle in, wake this often: rarely enough that three or four
 * traced processes on a small machine do not keep taking the cores from the
 * application's threads, often enough that reports arrive promptly. */
#define TRICKLE_MS 5u
/* A round that takes fewer records than this sleeps before the next: a
 * reporter that went straight back to the ring for every few events would
 * spin on a core the application needs, and send tiny frames. */
#define BACKLOG_RECORDS 512u
#define CONNECT_TIMEOUT_MS 1000
#define SEND_TIMEOUT_S 1

/* A socket of ours and its identity, to notice an application's close() or
 * dup2() over the descriptor: a number that now names another file is no
 * longer ours to use or close. */
typedef struct sock_ref {
  int fd;
  dev_t dev;
  ino_t ino;
} sock_ref;

static struct {
  /* Bumped to wake the reporter, which sleeps on it with FUTEX_WAIT: a futex
   * wake is one system call, so _exit can make it from a signal handler,
   * where a mutex and a condition variable must not be touched. */
  _Atomic uint32_t wake_word;
  _Atomic bool stop;
  _Atomic bool stopped;
  /* A connection under way, for an exiting thread to ask the kernel whether
   * it is made without waiting (see reached()). -1 when none. */
  _Atomic int pending_fd;
  sock_ref link;  /* the connection */
  sock_ref early; /* opened on the first event's thread, still connecting */
  unsigned backoff_ms;
  int64_t next_connect_ns;
  uint8_t *buf;
  size_t buf_len;
  uint64_t buf_ring_pos; /* ring position covered by what is in buf */
  uint64_t cursor;       /* next ring position to encode */
  uint64_t dropped_reported;
  int64_t wanted_since_ns; /* when the reporter asked for a socket */
  /* Who may touch the fields above and the ring's read side: the reporter
   * thread, or an exiting thread that sends its process's last events
   * itself rather than wait for the reporter to be scheduled (see
   * xt__reporter_stop). Taken with a compare-and-swap, never waited for. */
  _Atomic bool sending;
  bool ready; /* the send buffer and the process's report fields exist */
} rep = {.pending_fd = -1, .link.fd = -1, .early.fd = -1};

/* How long the reporter waits for an application thread to open its socket
 * before it opens it itself (see XT__SOCK_* in client.h). */
#define SELF_OPEN_AFTER_NS (5 * 1000000000LL)

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Takes fd into r with its identity; closes it (and returns false) if it
 * has none. */
static bool sock_hold(sock_ref *r, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return false;
  }
  *r = (sock_ref){fd, st.st_dev, st.st_ino};
  return true;
}

static bool sock_is_ours(const sock_ref *r) {
  struct stat st;
  return r->fd >= 0 && fstat(r->fd, &st) == 0 && st.st_dev == r->dev && st.st_ino == r->ino;
}

/* Closes the socket if the number still names it; either way it is
 * forgotten. Checked here, not by each caller: a fork child closing the
 * parent's copy, or a disconnect after the application put a file of its
 * own on the number, must not close the application's file. */
static void sock_close(sock_ref *r) {
  if (sock_is_ours(r)) close(r->fd);
  r->fd = -1;
}

/* A lost connection makes the collector unknown again: exit waits for it
 * only once a new connection is made. */
static void disconnect(void) {
  sock_close(&rep.link);
  int up = XT__LINK_UP;
  atomic_compare_exchange_strong(&xt__g.link, &up, XT__LINK_UNKNOWN);
}

/* "host:port" or "[v6addr]:port". */
static int split_addr(const char *addr, char *host, size_t hcap, char *port, size_t pcap) {
  const char *colon = strrchr(addr, ':');
  if (!colon || !colon[1] || strlen(colon + 1) >= pcap) return -EINVAL;
  const char *h = addr;
  size_t hlen = (size_t)(colon - addr);
  if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
    h++;
    hlen -= 2;
  }
  if (hlen == 0 || hlen >= hcap) return -EINVAL;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  memcpy(port, colon + 1, strlen(colon + 1) + 1);
  return 0;
}

/* The lowest descriptor our socket may take: near the top of what select()
 * can see, far above the numbers programs count on. A shell closes 1 and
 * dups 2 onto it for `>&2`, a daemon closes 0-2 and opens /dev/null three
 * times; a socket of ours sitting on one of those numbers would take the
 * application's output or make its dup2 fail. */
static int high_fd_floor(void) {
  struct rlimit rl;
  rlim_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
  if (lim > FD_SETSIZE) lim = FD_SETSIZE;
  return lim > 128 ? (int)lim - 64 : 10;
}

/* Moves fd up to the floor (keeping it where it is if that fails). */
static int move_high(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, high_fd_floor());
  if (high < 0) return fd;
  close(fd);
  return high;
}

/* A non-blocking socket with its connection under way (or made). Only
 * async-signal-safe calls: an exiting thread may open it. */
static int connect_addr(int family, const struct sockaddr *addr, socklen_t len) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  fd = move_high(fd);
  if (connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

static int connect_start(const struct addrinfo *ai) {
  return connect_addr(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
}

/* Waits for connect_start's connection; returns fd, blocking with a send
 * timeout, or a negative errno (fd closed). */
static int connect_finish(int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  int soerr = 0;
  socklen_t elen = sizeof soerr;
  if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) ||
      soerr) {
    close(fd);
    return soerr ? -soerr : -ETIMEDOUT;
  }
  /* Blocking writes with a timeout: a slow collector stalls this thread for
   * at most SEND_TIMEOUT_S per write, never the application. */
  struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
    close(fd);
    return -EIO;
  }
  return fd;
}

/* The collector's addresses; flags add to AI_NUMERICSERV. */
static int resolve(int flags, struct addrinfo **res) {
  char host[256], port[16];
  *res = NULL;
  int err = split_addr(xt__g.cfg.server, host, sizeof host, port, sizeof port);
  if (err) return err;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | flags};
  return getaddrinfo(host, port, &hints, res) == 0 ? 0 : -ENOENT;
}

/* The collector's numeric address, resolved once by the first event's
 * thread; its length is 0 for a name, which only the reporter resolves. */
static struct sockaddr_storage numeric_addr;
static socklen_t numeric_len;

/* The socket an application thread opened, connected, if the application
 * has not closed it (or put something else on its number) meanwhile. With
 * none, the reporter asks for one (-EAGAIN: try again once it is READY), or
 * -ENOTCONN for a name it must resolve and connect to itself. */
static int take_early(void) {
  int st = atomic_load_explicit(&xt__g.sock_req, memory_order_acquire);
  if (st != XT__SOCK_READY) {
    if (!numeric_len) return -ENOTCONN;
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (st == XT__SOCK_NONE) {
      rep.wanted_since_ns = now;
      atomic_store(&xt__g.sock_req, XT__SOCK_WANTED);
      return -EAGAIN;
    }
    /* A program that stays quiet would keep its buffered events from the
     * collector: after a while the reporter opens the socket itself, taking
     * the small risk above rather than holding them back. */
    if (st != XT__SOCK_WANTED || now - rep.wanted_since_ns < SELF_OPEN_AFTER_NS) return -EAGAIN;
    xt__reporter_open_wanted();
  }
  sock_ref early = rep.early;
  rep.early.fd = -1;
  atomic_store(&xt__g.sock_req, XT__SOCK_NONE);
  if (!sock_is_ours(&early)) return -ENOTCONN; /* not ours to close */
  return connect_finish(early.fd);
}

/* Opens the reporter's socket on an application thread (see client.h). */
static void open_early_socket(void) {
  int fd = connect_addr(numeric_addr.ss_family, (struct sockaddr *)&numeric_addr, numeric_len);
  if (fd >= 0 && sock_hold(&rep.early, fd)) atomic_store(&rep.pending_fd, fd);
}

/* Runs on the thread of the process's first event, before the reporter
 * exists. Only a numeric address: a name lookup may block, and blocking is
 * the reporter's job. */
static void open_early(void) {
  struct addrinfo *res;
  if (resolve(AI_NUMERICHOST, &res) != 0) return;
  if (res->ai_addrlen <= sizeof numeric_addr) {
    memcpy(&numeric_addr, res->ai_addr, res->ai_addrlen);
    numeric_len = res->ai_addrlen;
  }
  freeaddrinfo(res);
  if (!numeric_len) return;
  open_early_socket();
  atomic_store_explicit(&xt__g.sock_req, XT__SOCK_READY, memory_order_release);
}

void xt__reporter_open_wanted(void) {
  int want = XT__SOCK_WANTED;
  if (!atomic_compare_exchange_strong(&xt__g.sock_req, &want, XT__SOCK_OPENING)) return;
  int saved = errno;
  open_early_socket();
  errno = saved;
  atomic_store_explicit(&xt__g.sock_req, XT__SOCK_READY, memory_order_release);
  xt__reporter_wake();
}

static void try_connect(void) {
  int64_t now = clock_ns(CLOCK_MONOTONIC);
  if (now < rep.next_connect_ns) return;
  int fd = take_early();
  /* Asked an application thread for the socket: its next event opens it. */
  if (fd == -EAGAIN) return;
  struct addrinfo *res = NULL;
  if (fd == -ENOTCONN && (fd = resolve(0, &res)) == 0) fd = -EHOSTUNREACH;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = connect_start(ai);
    if (fd < 0) continue;
    atomic_store(&rep.pending_fd, fd);
    fd = connect_finish(fd);
  }
  if (res) freeaddrinfo(res);
  /* The link's state changes before the pending descriptor is withdrawn, so
   * an exiting thread that finds no descriptor finds the outcome. */
  if (fd >= 0 && sock_hold(&rep.link, fd)) {
    rep.backoff_ms = BACKOFF_MIN_MS;
    atomic_store(&xt__g.link, XT__LINK_UP);
    atomic_store(&rep.pending_fd, -1);
    atomic_fetch_add(&xt__g.connects, 1);
    xt__debugf("connected to %s", xt__g.cfg.server);
    return;
  }
  if (fd >= 0) fd = -EBADF; /* sock_hold closed it */
  if (atomic_load(&xt__g.link) != XT__LINK_DOWN)
    xt__debugf("collector %s unreachable: %s", xt__g.cfg.server, strerror(-fd));
  atomic_store(&xt__g.down_since_ms, clock_ns(CLOCK_MONOTONIC) / 1000000);
  atomic_store(&xt__g.link, XT__LINK_DOWN);
  atomic_store(&rep.pending_fd, -1);
  rep.next_connect_ns = now + (int64_t)rep.backoff_ms * 1000000;
  rep.backoff_ms = rep.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : rep.backoff_ms * 2;
}

/* The collector never sends; a readable socket means it closed or reset.
 * A changed inode means the application closed our descriptor and reused the
 * number: forget it without closing, it is no longer ours. */
static bool link_alive(void) {
  if (!sock_is_ours(&rep.link)) {
    rep.link.fd = -1;
    return false;
  }
  char c;
  ssize_t r = recv(rep.link.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    disconnect();
    return false;
  }
  return true;
}

/* Writes buf out. On failure keeps the frames that did not fully go out, so
 * they are sent again on the next connection; the collector never sees a
 * torn frame twice because a connection starts at a frame boundary. */
static bool send_buf(void) {
  size_t off = 0;
  while (off < rep.buf_len) {
    ssize_t w = send(rep.link.fd, rep.buf + off, rep.buf_len - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    break;
  }
  size_t done = 0, frames = 0;
  xt_frame f;
  long n;
  while ((n = xt_frame_parse(rep.buf + done, rep.buf_len - done, &f)) > 0 && done + (size_t)n <= off) {
    done += (size_t)n;
    frames++;
  }
  atomic_fetch_add(&xt__g.sent, frames);
  memmove(rep.buf, rep.buf + done, rep.buf_len - done);
  rep.buf_len -= done;
  if (rep.buf_len) {
    disconnect();
    return false;
  }
  atomic_store_explicit(&xt__g.sent_pos, rep.buf_ring_pos, memory_order_release);
  return true;
}

/* Where the last drop happened, read consistently (see xt__client.drop_seq);
 * false while a producer is writing it: the next round reports it. */
static bool last_drop(uint64_t *task, uint64_t *parent, int32_t *tid) {
  uint32_t seq = atomic_load_explicit(&xt__g.drop_seq, memory_order_acquire);
  if (seq & 1) return false;
  /* Acquire loads, so the second look at seq cannot move before them (a
   * fence would do, but TSan does not model fences). */
  *task = atomic_load_explicit(&xt__g.drop_task, memory_order_acquire);
  *parent = atomic_load_explicit(&xt__g.drop_parent, memory_order_acquire);
  *tid = atomic_load_explicit(&xt__g.drop_tid, memory_order_acquire);
  return atomic_load_explicit(&xt__g.drop_seq, memory_order_relaxed) == seq;
}

/* Encodes ring records into buf until it is full or the ring is empty, and
 * gives their space back to producers. Returns how many were taken. */
static size_t fill_buf(int64_t wall_offset_ns) {
  size_t taken = 0;
  uint64_t dropped = atomic_load_explicit(&xt__g.dropped, memory_order_relaxed);
  uint64_t task, parent;
  int32_t tid;
  if (dropped > rep.dropped_reported && last_drop(&task, &parent, &tid)) {
    size_t n = xt__report_encode_dropped(task, parent, tid, dropped - rep.dropped_reported,
                                         rep.buf + rep.buf_len, XT__SENDBUF_BYTES - rep.buf_len);
    if (n) {
      rep.buf_len += n;
      rep.dropped_reported = dropped;
    }
  }
  for (;;) {
    uint32_t len;
    uint64_t next;
    const xt__rec *rec = xt__ring_peek(&xt__g.ring, rep.cursor, &len, &next);
    if (!rec) break;
    size_t n = xt__report_encode(rec, len, wall_offset_ns, rep.buf + rep.buf_len, XT__SENDBUF_BYTES - rep.buf_len);
    if (n == 0 && rep.buf_len > 0) break; /* full: send first */
    rep.buf_len += n;                     /* n == 0 on an empty buffer: unencodable, skipped */
    rep.cursor = next;
    taken++;
  }
  if (taken) {
    xt__ring_release(&xt__g.ring, rep.cursor);
    atomic_fetch_add_explicit(&xt__g.drained, taken, memory_order_relaxed);
  }
  rep.buf_ring_pos = rep.cursor;
  return taken;
}

/* One round of work; returns how many records it took from the ring. */
static size_t pump(void) {
  if (rep.link.fd < 0) try_connect();
  if (rep.link.fd < 0 || !link_alive()) return 0;
  if (rep.buf_len && !send_buf()) return 0;
  int64_t wall_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
  size_t taken = fill_buf(wall_offset_ns);
  if (rep.buf_len) send_buf();
  else atomic_store_explicit(&xt__g.sent_pos, rep.cursor, memory_order_release);
  return taken;
}

static bool sender_take(void) {
  bool free_ = false;
  return atomic_compare_exchange_strong(&rep.sending, &free_, true);
}

static void sender_give(void) { atomic_store(&rep.sending, false); }

/* What sending needs, made by whichever sender comes first. */
static bool sender_ready(void) {
  if (rep.ready) return true;
  xt__report_proc_init(); /* again in a fork child: its pid, its name */
  /* Mapped, not malloc'd: the first malloc of a new thread makes glibc
   * create an arena (a 128 MiB reservation trimmed with munmap, each
   * unmapping a TLB shootdown across the process's cores), a real part of
   * what a short-lived traced process paid. A fork child keeps the copy. */
  if (!rep.buf) {
    void *p = mmap(NULL, XT__SENDBUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rep.buf = p == MAP_FAILED ? NULL : p;
  }
  rep.backoff_ms = BACKOFF_MIN_MS;
  rep.cursor = xt__ring_tail(&xt__g.ring);
  rep.ready = rep.buf != NULL;
  return rep.ready;
}

/* Sleeps up to ms unless woken since the round began (seen is wake_word as
 * it was then, so a wake-up during the round is not lost). */
static void sleep_ms(uint32_t seen, unsigned ms) {
  if (atomic_load(&rep.stop)) return;
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  syscall(SYS_futex, &rep.wake_word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void *reporter_main(void *arg) {
  (void)arg;
  xt__self.internal = true;
  xt_thread_set_name("xtrace-report");
  /* The kernel's name too, so that top -H and ps -L tell the reporter from
   * the application's threads, as they do gRPC's. */
  pthread_setname_np(pthread_self(), "xtrace-report");
  bool ready = true;
  if (sender_take()) {
    ready = sender_ready();
    sender_give();
  }
  atomic_store(&xt__g.reporter, XT__REPORTER_RUNNING);
  unsigned idle_ms = TRICKLE_MS;
  while (ready && !atomic_load(&rep.stop)) {
    uint32_t seen = atomic_load(&rep.wake_word);
    size_t taken = 0;
    bool linked = true;
    /* Busy only while the process exits (an exiting thread is sending). */
    if (sender_take()) {
      taken = sender_ready() ? pump() : 0;
      linked = rep.link.fd >= 0;
      sender_give();
    }
    if (taken >= BACKLOG_RECORDS) continue;
    /* Producers never wake us (that would be a syscall on their path), so
     * poll, backing off while idle. */
    if (taken) idle_ms = TRICKLE_MS;
    sleep_ms(seen, linked ? idle_ms : BACKOFF_MIN_MS);
    if (!taken && idle_ms < IDLE_MAX_MS) idle_ms *= 2;
  }
  if (sender_take()) disconnect(); /* else an exiting thread holds it */
  atomic_store(&rep.stopped, true);
  return NULL;
}

void xt__reporter_start(void) {
  int expected = XT__REPORTER_NONE;
  if (!atomic_compare_exchange_strong(&xt__g.reporter, &expected, XT__REPORTER_STARTING)) return;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256u << 10);
  /* Started, so the collector is probed again: a failure inherited or
   * learned before is no longer known to hold. */
  int down = XT__LINK_DOWN;
  atomic_compare_exchange_strong(&xt__g.link, &down, XT__LINK_UNKNOWN);
  int saved_errno = errno;
  open_early();
  errno = saved_errno;
  /* The reporter takes no signals: they belong to the application's threads.
   * It inherits the mask, so block everything around the creation. Marking
   * the creator internal makes the preload's pthread_create hook pass the
   * call through untraced. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  bool was_internal = xt__self.internal;
  xt__self.internal = true;
  pthread_t th;
  int err = pthread_create(&th, &attr, reporter_main, NULL);
  xt__self.internal = was_internal;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err) {
    xt__debugf("cannot start the reporter: %s", strerror(err));
    atomic_store(&xt__g.state, XT__OFF);
  }
}

void xt__reporter_wake(void) {
  atomic_fetch_add(&rep.wake_word, 1);
  syscall(SYS_futex, &rep.wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

bool xt__link_known_down(int64_t now_ns) {
  if (atomic_load_explicit(&xt__g.link, memory_order_relaxed) != XT__LINK_DOWN) return false;
  int64_t since = atomic_load_explicit(&xt__g.down_since_ms, memory_order_relaxed);
  return now_ns / 1000000 - since < XT__DOWN_TRUST_MS;
}

/* Whether the collector is reached: connected, or a connection under way
 * that the kernel completes within REACH_WAIT_MS. Even on loopback the
 * handshake is finished asynchronously, by softirq work that a loaded
 * machine defers for milliseconds: asking without waiting would give up on
 * a live collector and lose a short process's events. A collector that
 * drops SYNs (its accept queue full) leaves the connection pending past
 * that, and one that refuses fails it at once: neither is waited for
 * longer, and the children learn it (XTRACE_COLLECTOR_DOWN). */
#define REACH_WAIT_MS 100
#define MIN_NAP_NS 20000L
#define MAX_NAP_NS 500000L
static bool reached(void) {
  int link = atomic_load(&xt__g.link);
  if (link != XT__LINK_UNKNOWN) return link == XT__LINK_UP;
  /* The reporter is waiting for a socket only this thread can open now. */
  xt__reporter_open_wanted();
  int fd = atomic_load(&rep.pending_fd);
  if (fd < 0) return atomic_load(&xt__g.link) == XT__LINK_UP;
  /* The reporter may close fd meanwhile (its connect failed, so the link
   * is DOWN and the wait below stops), or the number may name another file
   * by now: at worst this waits, bounded, for a link the loop then sees
   * DOWN. */
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  return poll(&pfd, 1, REACH_WAIT_MS) == 1 && pfd.revents == POLLOUT;
}

/* Sends on the calling thread what the ring holds, if the reporter is not
 * busy and a connection is made or an opened socket waits to be finished
 * (never a name lookup here); whether that sent anything. Not
 * async-signal-safe: encoding resolves source addresses with dladdr. */
static bool send_here(void) {
  if (!sender_take()) return false;
  bool sent = false;
  if ((rep.link.fd >= 0 || atomic_load(&xt__g.sock_req) == XT__SOCK_READY) && sender_ready()) {
    uint64_t before = atomic_load_explicit(&xt__g.sent_pos, memory_order_acquire);
    pump();
    sent = atomic_load_explicit(&xt__g.sent_pos, memory_order_acquire) > before;
  }
  sender_give();
  return sent;
}

/* Without may_send, only system calls that are async-signal-safe
 * (clock_gettime, poll, futex, nanosleep) and atomics: _exit calls this from
 * wherever the program called it, signal handlers included. */
static int wait_sent(uint64_t pos, unsigned timeout_ms, bool *waited, bool may_send) {
  int64_t deadline = clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
  *waited = false;
  /* The reporter may be waiting for a socket only this thread can open. */
  xt__reporter_open_wanted();
  /* Short naps first: what is waited for is usually the reporter finishing
   * a send already under way, tens of µs, and a short process's whole run
   * is of the order of a long nap. Longer ones after, up to MAX_NAP_NS, for
   * a collector that is slow to take the bytes. */
  long nap_ns = MIN_NAP_NS;
  for (;;) {
    if (atomic_load_explicit(&xt__g.sent_pos, memory_order_acquire) >= pos) return 0;
    /* No reporter (the collector is known down, or nothing started one):
     * nothing will send. A collector not reached is not waited for: it may
     * never answer, and every process would pay the whole deadline. */
    if (atomic_load(&xt__g.reporter) == XT__REPORTER_NONE || !reached()) return -ENOTCONN;
    if (clock_ns(CLOCK_MONOTONIC) >= deadline) return -ETIMEDOUT;
    if (may_send && send_here()) continue;
    *waited = true;
    xt__reporter_wake();
    struct timespec ts = {0, nap_ns};
    nanosleep(&ts, NULL);
    if (nap_ns < MAX_NAP_NS) nap_ns = nap_ns * 2 < MAX_NAP_NS ? nap_ns * 2 : MAX_NAP_NS;
  }
}

int xt__reporter_wait_sent(uint64_t pos, unsigned timeout_ms) {
  bool waited;
  return wait_sent(pos, timeout_ms, &waited, false);
}

/* may_send: see send_here. */
static int flush(const char *why, unsigned timeout_ms, bool may_send) {
  bool waited;
  int64_t t0 = clock_ns(CLOCK_MONOTONIC);
  int err = wait_sent(xt__ring_head(&xt__g.ring), timeout_ms, &waited, may_send);
  if (waited)
    xt__debugf("%s: waited %lld ms for the collector (%s)", why,
               (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / 1000000), err ? strerror(-err) : "all sent");
  else if (err)
    xt__debugf("%s: collector not reached, not waiting", why);
  return err;
}

int xt__reporter_flush(const char *why, unsigned timeout_ms) { return flush(why, timeout_ms, false); }

/* A normal exit sends the last events itself: a short-lived process would
 * otherwise wait for its reporter thread to be scheduled, finish starting
 * and wake, often longer than the whole program ran. */
void xt__reporter_stop(unsigned timeout_ms) {
  flush("exit", timeout_ms, true);
  if (atomic_load(&xt__g.reporter) == XT__REPORTER_NONE) return;
  atomic_store(&rep.stop, true);
  xt__reporter_wake();
}

/* A thread that is starting allocates (its runtime's per-thread state, our
 * send buffer); forked at that moment, the child inherits whatever allocator
 * lock it held, and an allocator without fork handlers (sanitizer runtimes)
 * then deadlocks the child's own reporter. So a fork that meets the reporter
 * starting lets it reach its loop, which does not allocate, for at most
 * FORK_WAIT_MS: the window is the first moments of a process, and the wait
 * is bounded because a fork from a signal handler may have interrupted the
 * very pthread_create that starts it. Async-signal-safe: atomics and
 * nanosleep. */
#define FORK_WAIT_MS 50
void xt__reporter_fork_prepare(void) {
  int saved = errno;
  for (int i = 0; i < FORK_WAIT_MS * 5 && atomic_load(&xt__g.reporter) == XT__REPORTER_STARTING; i++) {
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
  }
  errno = saved;
}

void xt__reporter_fork_child(void) {
  /* The parent's reporter does not exist here. The socket copy is closed:
   * the parent keeps its own. Unsent frames belong to the parent. */
  atomic_store(&rep.pending_fd, -1);
  sock_close(&rep.link);
  sock_close(&rep.early);
  atomic_store(&xt__g.sock_req, XT__SOCK_NONE);
  atomic_store(&rep.sending, false); /* a parent's thread may have held it */
  rep.ready = false;
  rep.buf_len = 0;
  rep.cursor = 0;
  rep.buf_ring_pos = 0;
  rep.dropped_reported = 0;
  rep.next_connect_ns = 0;
  atomic_store(&rep.stop, false);
  atomic_store(&rep.stopped, false);
  /* A collector the parent could not reach is not tried again here before
   * its time (see XT__DOWN_TRUST_MS); one it reached, the child must reach
   * itself. */
  if (atomic_load(&xt__g.link) == XT__LINK_UP) atomic_store(&xt__g.link, XT__LINK_UNKNOWN);
  atomic_store(&xt__g.reporter, XT__REPORTER_NONE);
}
