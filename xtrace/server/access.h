/* Who may talk to the server. The HTTP port answers only requests whose Host
 * names the server itself, so a web page that rebinds its own DNS name to
 * this machine reads nothing; the report port accepts only publishers from
 * the allowed networks. Both lists are built once at start and then only
 * read, from any thread. */
#ifndef XT_SERVER_ACCESS_H
#define XT_SERVER_ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address with its family reduced to 4 or 6 (v4-mapped v6 becomes 4). */
typedef struct xt__ip {
  int v; /* 4 or 6 */
  uint8_t a[16];
} xt__ip;

/* Reads a sockaddr; returns 0, or -EAFNOSUPPORT for other families. */
int xt__ip_from_sockaddr(const struct sockaddr *sa, xt__ip *out);
/* Reads "1.2.3.4" or "::1" (no brackets, no zone). Returns 0 or -EINVAL. */
int xt__ip_parse(const char *s, xt__ip *out);

typedef struct xt__hosts xt__hosts;

/* The Host values the HTTP port answers: the name or address it was told to
 * listen on (listen_host, as given), the address it is bound to, localhost,
 * 127.0.0.1 and ::1 when that is loopback or any, and also the machine's
 * hostname and interface addresses when it is any; plus each name of
 * allow_list ("a,b,c", may be NULL). Returns 0, -EINVAL for a malformed
 * allow_list entry, or -ENOMEM. */
int xt__hosts_new(xt__hosts **out, const char *listen_host, const struct sockaddr *bound,
                  const char *allow_list);
/* 1 if a request with this Host header value ("name", "name:port",
 * "[v6]:port") may be answered: the name is one of the list (names without
 * regard to case or a trailing dot, addresses by value) and the port, if
 * given, is the bound one. A missing or malformed Host is 0. */
int xt__hosts_allow(const xt__hosts *h, const char *host_header);
/* "localhost, 127.0.0.1, ..." for the start-up log. */
void xt__hosts_describe(const xt__hosts *h, char *buf, size_t n);
void xt__hosts_free(xt__hosts *h);

typedef struct xt__nets xt__nets;

/* Networks from "CIDR[,CIDR...]" ("10.0.0.0/8", "fd00::/8", a bare address
 * for one host). Returns 0 or -EINVAL for a malformed entry, -ENOMEM. */
int xt__nets_parse(xt__nets **out, const char *list);
/* The default for a report port bound to bound: loopback only when that is
 * loopback; otherwise loopback and the networks the machine's own interfaces
 * are on (address and netmask of each), never the whole internet. */
int xt__nets_default(xt__nets **out, const struct sockaddr *bound);
int xt__nets_allow(const xt__nets *n, const struct sockaddr *peer);
void xt__nets_describe(const xt__nets *n, char *buf, size_t len);
void xt__nets_free(xt__nets *n);

#endif
