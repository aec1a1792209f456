/* A loopback TCP exchange: three back-to-back sends, then the peer reads. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int lfd;

static void *server(void *arg) {
  (void)arg;
  int c = accept(lfd, NULL, NULL);
  char buf[64];
  size_t got = 0;
  while (got < 30) {
    ssize_t r = recv(c, buf, sizeof buf, 0);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  send(c, "ok", 2, 0);
  close(c);
  return NULL;
}

int main(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1) < 0)
    return 1;
  getsockname(lfd, (struct sockaddr *)&a, &len);
  pthread_t t;
  pthread_create(&t, NULL, server, NULL);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
    return 2;
  send(fd, "0123456789", 10, 0);
  write(fd, "0123456789", 10);
  send(fd, "0123456789", 10, 0);
  char buf[4];
  ssize_t r = read(fd, buf, sizeof buf);
  close(fd);
  pthread_join(t, NULL);
  fprintf(stderr, "reply %zd\n", r);
  return r == 2 ? 0 : 3;
}
