/* The collector benchmark's baseline: accepts publishers, reads and cuts
 * frames exactly as the server's ingest does (non-blocking, epoll, the same
 * frame parser) but neither decodes nor stores. Prints its address, then
 * exits once it has seen the expected number of frames; with "hold" it
 * prints "frames: N" then and waits for a signal instead (60 s at most, so
 * that a benchmark that dies first does not leave it behind), so that its
 * CPU time can still be read from /proc/PID/stat.
 * usage: sink EXPECTED_FRAMES [hold] */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xtrace/frame.h"

typedef struct conn {
  int fd;
  size_t len;
  uint8_t buf[(1 << 20) + 512 + (1 << 18)];
} conn;

int main(int argc, char **argv) {
  long want = argc > 1 ? atol(argv[1]) : 0, seen = 0;
  int hold = argc > 2 && strcmp(argv[2], "hold") == 0;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0) return 1;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  printf("reports: 127.0.0.1:%u\n", ntohs(a.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[64];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  while (seen < want) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) continue;
        c = malloc(sizeof *c);
        c->fd = fd;
        c->len = 0;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        continue;
      }
      ssize_t r = recv(c->fd, c->buf + c->len, 1 << 18, 0);
      if (r <= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c);
        continue;
      }
      c->len += (size_t)r;
      size_t off = 0;
      xt_frame f;
      long k;
      while ((k = xt_frame_parse(c->buf + off, c->len - off, &f)) > 0) off += (size_t)k, seen++;
      if (k < 0) return 1;
      memmove(c->buf, c->buf + off, c->len - off);
      c->len -= off;
    }
  }
  printf("frames: %ld\n", seen);
  fflush(stdout);
  if (hold) {
    alarm(60);
    for (;;) pause();
  }
  return 0;
}
