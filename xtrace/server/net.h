/* Listening sockets for both the report port and the HTTP port, so that
 * "HOST:PORT" parsing, port 0 and the "address in use" error are the same. */
#ifndef XT_SERVER_NET_H
#define XT_SERVER_NET_H

#include <stddef.h>

/* Splits "HOST:PORT" or "[V6]:PORT". Returns 0 or -EINVAL. */
int xt__split_hostport(const char *s, char *host, size_t hlen, char *port, size_t plen);

/* Binds and listens (non-blocking, close-on-exec, SO_REUSEADDR). On success
 * returns 0, sets *fd and writes the bound address ("127.0.0.1:40123",
 * "[::1]:80") into actual. Returns -EINVAL for a bad address, else the
 * negative errno of the call that failed (-EADDRINUSE for a taken port). */
int xt__listen_tcp(const char *hostport, int *fd, char *actual, size_t alen);

#endif
