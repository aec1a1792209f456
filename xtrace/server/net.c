#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int xt__split_hostport(const char *s, char *host, size_t hlen, char *port, size_t plen) {
  const char *colon, *h = s;
  size_t hn;
  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') return -EINVAL;
    h = s + 1;
    hn = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return -EINVAL;
    hn = (size_t)(colon - s);
  }
  const char *p = colon + 1;
  size_t pn = strlen(p);
  if (hn == 0 || hn >= hlen || pn == 0 || pn >= plen || pn > 5) return -EINVAL;
  for (size_t i = 0; i < pn; i++)
    if (p[i] < '0' || p[i] > '9') return -EINVAL;
  if (atoi(p) > 65535) return -EINVAL;
  memcpy(host, h, hn);
  host[hn] = 0;
  memcpy(port, p, pn + 1);
  return 0;
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t n) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    snprintf(out, n, "[%s]:%u", ip, ntohs(a->sin6_port));
  } else {
    const struct sockaddr_in *a = (const void *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, n, "%s:%u", ip, ntohs(a->sin_port));
  }
}

int xt__listen_tcp(const char *hostport, int *fd_out, char *actual, size_t alen) {
  char host[256], port[8];
  if (xt__split_hostport(hostport, host, sizeof host, port, sizeof port) < 0) return -EINVAL;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -EINVAL;
  int err = -EADDRNOTAVAIL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = -errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
      err = -errno;
      close(fd);
      continue;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    format_addr(&ss, actual, alen);
    *fd_out = fd;
    freeaddrinfo(res);
    return 0;
  }
  freeaddrinfo(res);
  return err;
}
