#include "access.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Host names are at most 253 characters; anything longer is not one. */
#define NAME_MAX_LEN 255

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int xt__ip_from_sockaddr(const struct sockaddr *sa, xt__ip *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    out->v = 4;
    memcpy(out->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are
     * matched against IPv4 networks. */
    if (memcmp(a, v4mapped, 12) == 0) {
      out->v = 4;
      memcpy(out->a, a + 12, 4);
    } else {
      out->v = 6;
      memcpy(out->a, a, 16);
    }
    return 0;
  }
  return -EAFNOSUPPORT;
}

int xt__ip_parse(const char *s, xt__ip *out) {
  memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, s, out->a) == 1) {
    out->v = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, s, out->a) == 1) {
    out->v = 6;
    if (memcmp(out->a, v4mapped, 12) == 0) {
      out->v = 4;
      memmove(out->a, out->a + 12, 4);
      memset(out->a + 4, 0, 12);
    }
    return 0;
  }
  return -EINVAL;
}

static int ip_equal(const xt__ip *x, const xt__ip *y) {
  return x->v == y->v && memcmp(x->a, y->a, x->v == 4 ? 4 : 16) == 0;
}

static int ip_is_any(const xt__ip *ip) {
  static const uint8_t zero[16];
  return memcmp(ip->a, zero, ip->v == 4 ? 4 : 16) == 0;
}

static int ip_is_loopback(const xt__ip *ip) {
  static const uint8_t one[16] = {[15] = 1};
  return ip->v == 4 ? ip->a[0] == 127 : memcmp(ip->a, one, 16) == 0;
}

static void ip_format(const xt__ip *ip, char *buf, size_t n) {
  if (!inet_ntop(ip->v == 4 ? AF_INET : AF_INET6, ip->a, buf, (socklen_t)n)) snprintf(buf, n, "?");
}

/* Calls fn for each address configured on the machine's interfaces, with its
 * netmask (NULL when the interface has none). */
static int for_each_interface(int (*fn)(void *arg, const xt__ip *addr, const xt__ip *mask), void *arg) {
  struct ifaddrs *list;
  if (getifaddrs(&list) < 0) return 0; /* a machine without interfaces to list still has loopback */
  int rc = 0;
  for (struct ifaddrs *i = list; i && rc == 0; i = i->ifa_next) {
    xt__ip addr, mask;
    if (!i->ifa_addr || xt__ip_from_sockaddr(i->ifa_addr, &addr) < 0) continue;
    int has_mask = i->ifa_netmask && i->ifa_netmask->sa_family == i->ifa_addr->sa_family &&
                   xt__ip_from_sockaddr(i->ifa_netmask, &mask) == 0;
    rc = fn(arg, &addr, has_mask ? &mask : NULL);
  }
  freeifaddrs(list);
  return rc;
}


struct xt__hosts {
  char **names; /* lower case, no trailing dot */
  size_t nnames;
  xt__ip *addrs;
  size_t naddrs;
  unsigned port;
};

/* Lower-cases s[0..len) without one trailing dot into out. Returns 0, or
 * -EINVAL if that is empty, too long or holds characters no host name has. */
static int normalise_name(const char *s, size_t len, char *out) {
  if (len && s[len - 1] == '.') len--;
  if (len == 0 || len > NAME_MAX_LEN) return -EINVAL;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) return -EINVAL;
    out[i] = c;
  }
  out[len] = 0;
  return 0;
}

static int add_addr(xt__hosts *h, const xt__ip *ip) {
  for (size_t i = 0; i < h->naddrs; i++)
    if (ip_equal(&h->addrs[i], ip)) return 0;
  xt__ip *p = realloc(h->addrs, (h->naddrs + 1) * sizeof *p);
  if (!p) return -ENOMEM;
  h->addrs = p;
  h->addrs[h->naddrs++] = *ip;
  return 0;
}

/* Adds a name or an address literal (brackets allowed around IPv6). */
static int add_host(xt__hosts *h, const char *s, size_t len) {
  char buf[NAME_MAX_LEN + 1];
  if (len >= 2 && s[0] == '[' && s[len - 1] == ']') s++, len -= 2;
  if (len == 0 || len > NAME_MAX_LEN) return -EINVAL;
  memcpy(buf, s, len);
  buf[len] = 0;
  xt__ip ip;
  if (xt__ip_parse(buf, &ip) == 0) return add_addr(h, &ip);
  char name[NAME_MAX_LEN + 1];
  if (normalise_name(s, len, name) < 0) return -EINVAL;
  for (size_t i = 0; i < h->nnames; i++)
    if (strcmp(h->names[i], name) == 0) return 0;
  char **p = realloc(h->names, (h->nnames + 1) * sizeof *p);
  if (!p) return -ENOMEM;
  h->names = p;
  if (!(h->names[h->nnames] = strdup(name))) return -ENOMEM;
  h->nnames++;
  return 0;
}

static int add_interface(void *arg, const xt__ip *addr, const xt__ip *mask) {
  (void)mask;
  return add_addr(arg, addr);
}

int xt__hosts_new(xt__hosts **out, const char *listen_host, const struct sockaddr *bound,
                  const char *allow_list) {
  xt__hosts *h = calloc(1, sizeof *h);
  if (!h) return -ENOMEM;
  int rc = 0;
  xt__ip ip;
  if (xt__ip_from_sockaddr(bound, &ip) < 0) {
    rc = -EINVAL;
    goto out;
  }
  h->port = ntohs(bound->sa_family == AF_INET ? ((const struct sockaddr_in *)(const void *)bound)->sin_port
                                              : ((const struct sockaddr_in6 *)(const void *)bound)->sin6_port);
  int any = ip_is_any(&ip);
  /* A wildcard address is where the server listens, not a name a client
   * uses for it. */
  if (!any) rc = add_addr(h, &ip);
  xt__ip given;
  if (rc == 0 && listen_host && xt__ip_parse(listen_host, &given) < 0) rc = add_host(h, listen_host, strlen(listen_host));
  if (rc == 0 && (any || ip_is_loopback(&ip))) {
    if ((rc = add_host(h, "localhost", 9)) == 0 && (rc = add_host(h, "127.0.0.1", 9)) == 0) rc = add_host(h, "::1", 3);
  }
  if (rc == 0 && any) {
    char name[NAME_MAX_LEN + 1];
    if (gethostname(name, sizeof name) == 0) {
      name[NAME_MAX_LEN] = 0;
      add_host(h, name, strlen(name)); /* a hostname no URL can carry is left out */
    }
    rc = for_each_interface(add_interface, h);
  }
  for (const char *s = allow_list; rc == 0 && s && *s;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    rc = add_host(h, s, len);
    s = comma ? comma + 1 : s + len;
    if (comma && !*s) rc = -EINVAL;
  }
out:
  if (rc < 0) {
    xt__hosts_free(h);
    return rc;
  }
  *out = h;
  return 0;
}

int xt__hosts_allow(const xt__hosts *h, const char *host) {
  if (!host || !*host) return 0;
  const char *name = host, *port = NULL;
  size_t nlen;
  if (host[0] == '[') {
    const char *close = strchr(host, ']');
    if (!close) return 0;
    name = host + 1;
    nlen = (size_t)(close - name);
    if (close[1] == ':')
      port = close + 2;
    else if (close[1])
      return 0;
  } else {
    const char *colon = strchr(host, ':');
    if (colon && strchr(colon + 1, ':')) return 0; /* an IPv6 address needs brackets */
    nlen = colon ? (size_t)(colon - host) : strlen(host);
    if (colon) port = colon + 1;
  }
  if (port) {
    size_t pn = strlen(port);
    unsigned v = 0;
    if (pn == 0 || pn > 5) return 0;
    for (size_t i = 0; i < pn; i++) {
      if (port[i] < '0' || port[i] > '9') return 0;
      v = v * 10 + (unsigned)(port[i] - '0');
    }
    if (v != h->port) return 0;
  }
  char buf[NAME_MAX_LEN + 1];
  if (nlen == 0 || nlen > NAME_MAX_LEN) return 0;
  memcpy(buf, name, nlen);
  buf[nlen] = 0;
  xt__ip ip;
  if (xt__ip_parse(buf, &ip) == 0) {
    for (size_t i = 0; i < h->naddrs; i++)
      if (ip_equal(&h->addrs[i], &ip)) return 1;
    return 0;
  }
  if (normalise_name(name, nlen, buf) < 0) return 0;
  for (size_t i = 0; i < h->nnames; i++)
    if (strcmp(h->names[i], buf) == 0) return 1;
  return 0;
}

static void append(char *buf, size_t n, size_t *used, const char *s) {
  int w = snprintf(buf + *used, n - *used, "%s%s", *used ? ", " : "", s);
  if (w > 0) *used = *used + (size_t)w < n ? *used + (size_t)w : n - 1;
}

void xt__hosts_describe(const xt__hosts *h, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < h->nnames; i++) append(buf, n, &used, h->names[i]);
  for (size_t i = 0; i < h->naddrs; i++) {
    char ip[INET6_ADDRSTRLEN + 2], s[INET6_ADDRSTRLEN];
    ip_format(&h->addrs[i], s, sizeof s);
    snprintf(ip, sizeof ip, h->addrs[i].v == 6 ? "[%s]" : "%s", s);
    append(buf, n, &used, ip);
  }
}

void xt__hosts_free(xt__hosts *h) {
  if (!h) return;
  for (size_t i = 0; i < h->nnames; i++) free(h->names[i]);
  free(h->names);
  free(h->addrs);
  free(h);
}


typedef struct net {
  xt__ip ip; /* host bits cleared */
  unsigned bits;
} net;

struct xt__nets {
  net *v;
  size_t n;
};

static int net_contains(const net *nw, const xt__ip *ip) {
  if (nw->ip.v != ip->v) return 0;
  unsigned full = nw->bits / 8, rest = nw->bits % 8;
  if (memcmp(nw->ip.a, ip->a, full) != 0) return 0;
  return rest == 0 || ((nw->ip.a[full] ^ ip->a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int add_net(xt__nets *n, const xt__ip *ip, unsigned bits) {
  net nw = {*ip, bits};
  unsigned full = bits / 8, rest = bits % 8, len = ip->v == 4 ? 4 : 16;
  if (full < len) {
    nw.ip.a[full] &= (uint8_t)(0xff << (8 - rest));
    memset(nw.ip.a + full + 1, 0, len - full - 1);
  }
  for (size_t i = 0; i < n->n; i++)
    if (n->v[i].bits == bits && ip_equal(&n->v[i].ip, &nw.ip)) return 0;
  net *p = realloc(n->v, (n->n + 1) * sizeof *p);
  if (!p) return -ENOMEM;
  n->v = p;
  n->v[n->n++] = nw;
  return 0;
}

static int parse_net(xt__nets *n, const char *s, size_t len) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -EINVAL;
  memcpy(buf, s, len);
  buf[len] = 0;
  char *slash = strchr(buf, '/');
  long bits = -1;
  if (slash) {
    char *end;
    *slash = 0;
    errno = 0;
    bits = strtol(slash + 1, &end, 10);
    if (errno || *end || end == slash + 1 || slash[1] == '-' || slash[1] == '+') return -EINVAL;
  }
  xt__ip ip;
  if (xt__ip_parse(buf, &ip) < 0) return -EINVAL;
  long max = ip.v == 4 ? 32 : 128;
  /* "::ffff:10.0.0.0/104" was read as IPv4: its prefix counts 96 bits less. */
  if (bits >= 0 && ip.v == 4 && strchr(buf, ':')) bits -= 96;
  if (bits < 0) bits = slash ? -1 : max;
  if (bits < 0 || bits > max) return -EINVAL;
  return add_net(n, &ip, (unsigned)bits);
}

int xt__nets_parse(xt__nets **out, const char *list) {
  xt__nets *n = calloc(1, sizeof *n);
  if (!n) return -ENOMEM;
  int rc = *list ? 0 : -EINVAL;
  for (const char *s = list; rc == 0 && *s;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    rc = parse_net(n, s, len);
    s = comma ? comma + 1 : s + len;
    if (comma && !*s) rc = -EINVAL;
  }
  if (rc < 0) {
    xt__nets_free(n);
    return rc;
  }
  *out = n;
  return 0;
}

static unsigned mask_bits(const xt__ip *mask) {
  unsigned bits = 0, len = mask->v == 4 ? 4 : 16;
  for (unsigned i = 0; i < len; i++)
    for (int b = 7; b >= 0; b--) {
      if (!(mask->a[i] >> b & 1)) return bits;
      bits++;
    }
  return bits;
}

static int add_interface_net(void *arg, const xt__ip *addr, const xt__ip *mask) {
  return add_net(arg, addr, mask && mask->v == addr->v ? mask_bits(mask) : (addr->v == 4 ? 32u : 128u));
}

int xt__nets_default(xt__nets **out, const struct sockaddr *bound) {
  xt__ip ip;
  if (xt__ip_from_sockaddr(bound, &ip) < 0) return -EINVAL;
  int rc = xt__nets_parse(out, "127.0.0.0/8,::1/128");
  if (rc < 0 || ip_is_loopback(&ip)) return rc;
  if ((rc = for_each_interface(add_interface_net, *out)) < 0) {
    xt__nets_free(*out);
    *out = NULL;
  }
  return rc;
}

int xt__nets_allow(const xt__nets *n, const struct sockaddr *peer) {
  xt__ip ip;
  if (xt__ip_from_sockaddr(peer, &ip) < 0) return 0;
  for (size_t i = 0; i < n->n; i++)
    if (net_contains(&n->v[i], &ip)) return 1;
  return 0;
}

void xt__nets_describe(const xt__nets *n, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n->n; i++) {
    char ip[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];
    ip_format(&n->v[i].ip, ip, sizeof ip);
    snprintf(s, sizeof s, "%s/%u", ip, n->v[i].bits);
    append(buf, len, &used, s);
  }
}

void xt__nets_free(xt__nets *n) {
  if (!n) return;
  free(n->v);
  free(n);
}
