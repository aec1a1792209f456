/*
 * The descriptor calls two families share: write and writev carry the
 * program's log lines on fds 1 and 2 (logging/fd.c) and socket traffic on any
 * other descriptor (sockets.c); read and close matter to sockets only. Each
 * hook here decides which family the descriptor is the business of and hands
 * the call over, so the two families never call each other.
 *
 * write on a stream that is not traced (a filter's stdout) stays a compare
 * or two and the real call, inline here, as in the stdio hooks; writev is the
 * same dispatch with its own signature.
 */
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "logging/logging.h"

XTP_HOOK ssize_t write(int fd, const void *p, size_t n) {
  int s = xtp_stream_of_fd(fd);
  if (s < 0)
    return xtp_sock_write(fd, p, n, XTP_CALLER);
  write_fn real = REAL_FAST(write);
  if (real && xtp_stream_pass_through(s))
    return real(fd, p, n);
  return xtp_log_write(s, fd, p, n, XTP_CALLER);
}

XTP_HOOK ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  int s = xtp_stream_of_fd(fd);
  if (s < 0)
    return xtp_sock_writev(fd, iov, cnt, XTP_CALLER);
  writev_fn real = REAL_FAST(writev);
  if (real && xtp_stream_pass_through(s))
    return real(fd, iov, cnt);
  return xtp_log_writev(s, fd, iov, cnt, XTP_CALLER);
}

XTP_HOOK ssize_t read(int fd, void *p, size_t n) { return xtp_sock_read(fd, p, n, XTP_CALLER); }

XTP_HOOK int close(int fd) { return xtp_sock_close(fd); }
