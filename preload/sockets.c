/*
 * Socket events (XTRACE_SOCKET_EVENTS=1): connect, accept and the bytes sent
 * and received on each connection, with the local and peer address and the
 * running byte offset per direction, so a collector can pair a send with the
 * receive that got its bytes. Back-to-back sends by one thread on one socket
 * become one event: the send is held in TLS and written out before the
 * thread's next event of any kind, so its chain keeps call order.
 *
 * Per-descriptor state is a flat array indexed by fd, allocated once, and
 * updated with atomics only: no lock on any I/O path. The bytes themselves
 * are never touched.
 *
 * write, writev, read and close are interposed in descriptors.c, which hands
 * every descriptor but the logged streams' to xtp_sock_* here. Each hook has
 * socket_wrapper's shape: enter_fd (guard, is it a socket?), the real call,
 * then sent_after or received_after (record, guard off, errno kept).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "internal.h"

enum { KIND_UNKNOWN, KIND_SOCKET, KIND_OTHER };

typedef struct fdstate {
  uint8_t kind;   /* KIND_*; reset by close, connect and accept */
  uint64_t sent;  /* bytes sent on this connection so far */
  uint64_t recvd; /* bytes received */
} fdstate;

#define MAX_TRACKED_FDS (1 << 20)
static fdstate *fds;
static int nfds;

typedef struct pending_send {
  bool active;
  int fd;
  uint64_t bytes, offset;
  const void *caller;
} pending_send;
static XTP_TLS pending_send pending;

/* The array covers the descriptor limit at first use; it is mapped, so only
 * the pages of descriptors actually used cost memory. Two threads racing
 * here both map, one wins, the other unmaps. */
static fdstate *state_of(int fd) {
  fdstate *t = __atomic_load_n(&fds, __ATOMIC_ACQUIRE);
  if (!t) {
    struct rlimit rl;
    rlim_t n = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > n)
      n = rl.rlim_cur;
    if (n > MAX_TRACKED_FDS)
      n = MAX_TRACKED_FDS;
    void *m = mmap(NULL, n * sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      return NULL;
    fdstate *expected = NULL;
    if (__atomic_compare_exchange_n(&fds, &expected, (fdstate *)m, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      __atomic_store_n(&nfds, (int)n, __ATOMIC_RELEASE);
      t = m;
    } else {
      munmap(m, n * sizeof *t);
      t = expected;
    }
  }
  int n = __atomic_load_n(&nfds, __ATOMIC_ACQUIRE);
  return fd >= 0 && fd < n ? &t[fd] : NULL;
}

static bool is_socket(int fd, fdstate *st) {
  uint8_t k = __atomic_load_n(&st->kind, __ATOMIC_RELAXED);
  if (k == KIND_UNKNOWN) {
    int type;
    socklen_t len = sizeof type;
    k = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 ? KIND_SOCKET : KIND_OTHER;
    __atomic_store_n(&st->kind, k, __ATOMIC_RELAXED);
  }
  return k == KIND_SOCKET;
}

static void reset(fdstate *st, uint8_t kind) {
  __atomic_store_n(&st->sent, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&st->recvd, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&st->kind, kind, __ATOMIC_RELAXED);
}

static void format_addr(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t cap) {
  char ip[INET6_ADDRSTRLEN];
  if (len == 0) {
    snprintf(out, cap, "-");
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, cap, "%s:%u", ip, ntohs(a->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    snprintf(out, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
  } else if (ss->ss_family == AF_UNIX) {
    const struct sockaddr_un *a = (const void *)ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path)
                   : 0;
    if (n > 0 && a->sun_path[0] == '\0')
      snprintf(out, cap, "unix:@%.*s", (int)(n - 1), a->sun_path + 1);
    else
      snprintf(out, cap, "unix:%.*s", (int)strnlen(a->sun_path, n), a->sun_path);
  } else {
    snprintf(out, cap, "family %d", ss->ss_family);
  }
}

static void addresses(int fd, char *local, char *peer, size_t cap) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    len = 0;
  format_addr(&ss, len, local, cap);
  len = sizeof ss;
  if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
    len = 0;
  format_addr(&ss, len, peer, cap);
}

static void sock_event(const char *what, int fd, uint64_t bytes, uint64_t offset,
                       const void *caller) {
  char local[128], peer[128], label[320], b[24], o[24];
  addresses(fd, local, peer, sizeof local);
  int n;
  if (strcmp(what, "send") == 0 || strcmp(what, "recv") == 0)
    n = snprintf(label, sizeof label, "%s %" PRIu64 " bytes %s %s", what, bytes,
                 what[0] == 's' ? "to" : "from", peer);
  else
    n = snprintf(label, sizeof label, "%s %s", what, peer);
  snprintf(b, sizeof b, "%" PRIu64, bytes);
  snprintf(o, sizeof o, "%" PRIu64, offset);
  xt_kv kv[] = {{"op", what}, {"local", local}, {"peer", peer}, {"bytes", b}, {"offset", o}};
  const char *tags[] = {"socket"};
  xt_event_info ev = {.agent = "socket",
                      .label = label,
                      .label_len = (size_t)n,
                      .caller = caller,
                      .kv = kv,
                      .nkv = bytes || offset ? 5 : 3,
                      .tags = tags,
                      .ntags = 1};
  xtp_emit(&ev);
}

void xtp_sock_flush_pending(void) {
  if (!pending.active)
    return;
  pending.active = false; /* first: sock_event goes through xtp_emit */
  sock_event("send", pending.fd, pending.bytes, pending.offset, pending.caller);
}

void xtp_sock_after_fork_child(void) { pending.active = false; }

static void sent(int fd, fdstate *st, size_t n, const void *caller) {
  uint64_t off = __atomic_fetch_add(&st->sent, n, __ATOMIC_RELAXED);
  if (pending.active && pending.fd == fd && pending.offset + pending.bytes == off) {
    pending.bytes += n;
    return;
  }
  xtp_sock_flush_pending();
  pending.active = true;
  pending.fd = fd;
  pending.bytes = n;
  pending.offset = off;
  pending.caller = caller;
}

static void received(int fd, fdstate *st, size_t n, const void *caller) {
  uint64_t off = __atomic_fetch_add(&st->recvd, n, __ATOMIC_RELAXED);
  sock_event("recv", fd, n, off, caller);
}

/* The two halves of every data hook, around its real call. enter_fd: the
 * descriptor's state, guard held, if fd is a tracked socket; NULL (nothing to
 * record, call straight through) otherwise. */
static fdstate *enter_fd(int fd) {
  if (!xtp_enter(XTP_FAM_SOCKETS))
    return NULL;
  fdstate *st = state_of(fd);
  if (st && is_socket(fd, st))
    return st;
  xtp_leave();
  return NULL;
}

/* After the real call returned r (errno still the call's): records the bytes
 * when the kernel moved some (count of them sent, or r received), releases
 * the guard, and gives back r with the call's errno. */
static ssize_t sent_after(int fd, fdstate *st, ssize_t r, size_t count, const void *caller) {
  int err = errno;
  if (r > 0)
    sent(fd, st, count, caller);
  xtp_leave();
  errno = err;
  return r;
}

static ssize_t received_after(int fd, fdstate *st, ssize_t r, const void *caller) {
  int err = errno;
  if (r > 0)
    received(fd, st, (size_t)r, caller);
  xtp_leave();
  errno = err;
  return r;
}

/* write, writev, read and close reach these from descriptors.c for every
 * descriptor that is not a logged stream (the same shape as the hooks
 * below). */
ssize_t xtp_sock_write(int fd, const void *p, size_t n, const void *caller) {
  write_fn real = REAL(write);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n);
  ssize_t r = real(fd, p, n);
  return sent_after(fd, st, r, (size_t)r, caller);
}

ssize_t xtp_sock_writev(int fd, const struct iovec *iov, int cnt, const void *caller) {
  writev_fn real = REAL(writev);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, iov, cnt);
  ssize_t r = real(fd, iov, cnt);
  return sent_after(fd, st, r, (size_t)r, caller);
}

ssize_t xtp_sock_read(int fd, void *p, size_t n, const void *caller) {
  read_fn real = REAL(read);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n);
  ssize_t r = real(fd, p, n);
  return received_after(fd, st, r, caller);
}

/* A closed descriptor number is reused by the next open: forget its state,
 * and write out a send still held for it. */
int xtp_sock_close(int fd) {
  close_fn real = REAL(close);
  if (!real)
    return xtp_enosys();
  if (!xtp_enter(XTP_FAM_SOCKETS))
    return real(fd);
  if (pending.active && pending.fd == fd)
    xtp_sock_flush_pending();
  int r = real(fd);
  int err = errno;
  fdstate *st = state_of(fd);
  if (st)
    reset(st, KIND_UNKNOWN);
  xtp_leave();
  errno = err;
  return r;
}

/* The data hooks below repeat one shape (real symbol, enter_fd, real call,
 * *_after) with their own signatures and byte counts: written out, not
 * generated by a macro, so that each reads, and steps in a debugger, alone. */
XTP_HOOK ssize_t send(int fd, const void *p, size_t n, int flags) {
  send_fn real = REAL(send);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n, flags);
  ssize_t r = real(fd, p, n, flags);
  return sent_after(fd, st, r, (size_t)r, XTP_CALLER);
}

XTP_HOOK ssize_t sendto(int fd, const void *p, size_t n, int flags, const struct sockaddr *to,
                        socklen_t tolen) {
  sendto_fn real = REAL(sendto);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n, flags, to, tolen);
  ssize_t r = real(fd, p, n, flags, to, tolen);
  return sent_after(fd, st, r, (size_t)r, XTP_CALLER);
}

XTP_HOOK ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  sendmsg_fn real = REAL(sendmsg);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, msg, flags);
  ssize_t r = real(fd, msg, flags);
  return sent_after(fd, st, r, (size_t)r, XTP_CALLER);
}

/* What the kernel took of the first n messages. */
static size_t mmsg_bytes(const struct mmsghdr *v, int n) {
  size_t total = 0;
  for (int i = 0; i < n; i++)
    total += v[i].msg_len;
  return total;
}

XTP_HOOK int sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags) {
  sendmmsg_fn real = REAL(sendmmsg);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, v, vlen, flags);
  int r = real(fd, v, vlen, flags);
  return (int)sent_after(fd, st, r, r > 0 ? mmsg_bytes(v, r) : 0, XTP_CALLER);
}

XTP_HOOK ssize_t recv(int fd, void *p, size_t n, int flags) {
  recv_fn real = REAL(recv);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n, flags);
  ssize_t r = real(fd, p, n, flags);
  return received_after(fd, st, r, XTP_CALLER);
}

XTP_HOOK ssize_t recvfrom(int fd, void *p, size_t n, int flags, struct sockaddr *from,
                          socklen_t *fromlen) {
  recvfrom_fn real = REAL(recvfrom);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, p, n, flags, from, fromlen);
  ssize_t r = real(fd, p, n, flags, from, fromlen);
  return received_after(fd, st, r, XTP_CALLER);
}

XTP_HOOK ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  recvmsg_fn real = REAL(recvmsg);
  if (!real)
    return xtp_enosys();
  fdstate *st = enter_fd(fd);
  if (!st)
    return real(fd, msg, flags);
  ssize_t r = real(fd, msg, flags);
  return received_after(fd, st, r, XTP_CALLER);
}

XTP_HOOK int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  connect_fn real = REAL(connect);
  if (!real)
    return xtp_enosys();
  if (!xtp_enter(XTP_FAM_SOCKETS))
    return real(fd, addr, len);
  int r = real(fd, addr, len);
  int err = errno;
  fdstate *st = state_of(fd);
  if (st)
    reset(st, KIND_SOCKET);
  if (r == 0 || err == EINPROGRESS) {
    xtp_sock_flush_pending();
    sock_event("connect", fd, 0, 0, XTP_CALLER);
  }
  xtp_leave();
  errno = err;
  return r;
}

static int after_accept(int r, const void *caller) {
  int err = errno;
  if (r >= 0) {
    fdstate *st = state_of(r);
    if (st)
      reset(st, KIND_SOCKET);
    sock_event("accept", r, 0, 0, caller);
  }
  xtp_leave();
  errno = err;
  return r;
}

XTP_HOOK int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  accept_fn real = REAL(accept);
  if (!real)
    return xtp_enosys();
  if (!xtp_enter(XTP_FAM_SOCKETS))
    return real(fd, addr, len);
  return after_accept(real(fd, addr, len), XTP_CALLER);
}

XTP_HOOK int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  accept4_fn real = REAL(accept4);
  if (!real)
    return xtp_enosys();
  if (!xtp_enter(XTP_FAM_SOCKETS))
    return real(fd, addr, len, flags);
  return after_accept(real(fd, addr, len, flags), XTP_CALLER);
}
