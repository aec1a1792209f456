/* gate: a collector that holds traced programs' reports back until told to
 * let them through, so a test can keep a reporter's socket full for as
 * long as it needs, independent of machine speed.
 *
 *   gate UPSTREAM_HOST:PORT
 *       listens on 127.0.0.1:0 (prints "listening on :PORT" on stderr) with
 *       the smallest receive buffer the kernel allows, and does not accept:
 *       connections complete in the backlog, where a sender can put only a
 *       few KiB into them before its sends block. When a byte (or EOF)
 *       arrives on stdin, it accepts every connection, old and new, and
 *       copies what each sends to a connection of its own to UPSTREAM
 *       until the sender closes. Runs until killed.
 *   gate --refuse
 *       holds a port the kernel picks (prints "listening on :PORT") without
 *       listening on it, so that connections to it are refused, and no other
 *       program can take the port meanwhile. Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 1000

static int listen_gated(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1, mss = 256;
  /* Both inherited by every connection the kernel completes for us. A
   * locked receive buffer: no autotuning opens the window while the gate is
   * shut. A small segment size: a sender sizes its send buffer from the
   * peer's segment size, and over loopback's 64 KiB segments it takes
   * megabytes, more than a test wants to write to fill it. */
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof one) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss) != 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 512) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return -1;
  fprintf(stderr, "listening on :%u\n", ntohs(a.sin_port));
  return fd;
}

static int connect_upstream(const char *addr) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int refuse(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("gate: bind");
    return 1;
  }
  fprintf(stderr, "listening on :%u\n", ntohs(a.sin_port));
  for (;;) pause();
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gate UPSTREAM_HOST:PORT | gate --refuse\n");
    return 2;
  }
  if (strcmp(argv[1], "--refuse") == 0) return refuse();
  int lfd = listen_gated();
  if (lfd < 0) {
    perror("gate: listen");
    return 1;
  }
  char c;
  while (read(0, &c, 1) < 0 && errno == EINTR) {
  }

  struct pollfd pf[MAX_PAIRS + 1];
  int up[MAX_PAIRS + 1];
  int n = 1;
  pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  static char buf[1 << 16];
  for (;;) {
    if (poll(pf, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("gate: poll");
      return 1;
    }
    if (pf[0].revents & POLLIN) {
      int cfd = accept(lfd, NULL, NULL);
      if (cfd >= 0 && n <= MAX_PAIRS) {
        int big = 1 << 20; /* open now: let it flow */
        setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        int ufd = connect_upstream(argv[1]);
        if (ufd < 0) {
          perror("gate: upstream");
          return 1;
        }
        pf[n] = (struct pollfd){.fd = cfd, .events = POLLIN};
        up[n++] = ufd;
      } else if (cfd >= 0) {
        close(cfd);
      }
    }
    for (int i = 1; i < n; i++) {
      if (!pf[i].revents) continue;
      ssize_t r = read(pf[i].fd, buf, sizeof buf);
      if (r > 0 && write_all(up[i], buf, (size_t)r) == 0) continue;
      if (r < 0 && errno == EINTR) continue;
      close(pf[i].fd);
      close(up[i]);
      pf[i] = pf[n - 1];
      up[i] = up[n - 1];
      n--;
      i--;
    }
  }
}
