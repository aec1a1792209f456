/* The collector's HTTP routing, path and query parsing, through the real
 * server: libmicrohttpd on a loopback socket the kernel picks, the server's
 * handler, an empty store. The input is a request target (bytes that cannot
 * go on a request line as they are, percent-encoded, so that every input
 * reaches the handler); the first byte picks the method.
 *
 * Every request must get a complete response with a status the API
 * documents, never a crash, a hang or a 500. Where the answer follows from
 * the target alone (no percent-escapes or '+' for libmicrohttpd to decode,
 * no repeated parameter), the status must be the one the README promises:
 * 400 for a bad path, a bad task list or a bad limit/offset/pid/tid/text
 * parameter, 200 for a good one, 404 for an unknown API path, 405 for other
 * methods. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "fuzz_common.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "queue.h"
#include "store.h"

#define MAX_TARGET 8192
#define MAX_TASKS 64
#define MAX_PARAM 1024
#define MAX_OFFSET 1000000000LL

static struct sockaddr_in server;
static char dir[] = "/tmp/xtfuzzhttp.XXXXXX";

static void remove_dir(void) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* One collector for the whole run: starting one per input would measure
 * SQLite's schema creation, not the parsing. */
static void start_once(void) {
  static int started;
  if (started) return;
  started = 1;
  xt__log_quiet(1);
  FUZZ_CHECK(mkdtemp(dir) != NULL);
  atexit(remove_dir);
  static xt__queue q;
  static xt__store *store;
  static xt__events *events;
  static xt__http *http;
  FUZZ_CHECK(xt__queue_init(&q, 1 << 20) == 0);
  FUZZ_CHECK(xt__store_open(&store, dir, &q) == 0);
  FUZZ_CHECK(xt__events_new(&events, 64) == 0);
  int fd;
  char addr[64];
  FUZZ_CHECK(xt__listen_tcp("127.0.0.1:0", &fd, addr, sizeof addr) == 0);
  /* The requests name the server "fuzz": an allowed name, so that what is
   * fuzzed is the routing behind the Host check. */
  static xt__hosts *hosts;
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  FUZZ_CHECK(getsockname(fd, (struct sockaddr *)&bound, &blen) == 0);
  FUZZ_CHECK(xt__hosts_new(&hosts, "127.0.0.1", (struct sockaddr *)&bound, "fuzz") == 0);
  FUZZ_CHECK(xt__http_start(&http, fd, dir, events, hosts) == 0);
  const char *colon = strrchr(addr, ':');
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(colon + 1));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* Sends the request and returns the response's status code. */
static int roundtrip(const char *req, size_t len) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  struct timeval tv = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  /* Thousands of requests a second leave as many closed connections in
   * TIME_WAIT; should the ports run out, wait for some to expire instead of
   * reporting the harness's own exhaustion as a finding. */
  int rc, tries = 0;
  while ((rc = connect(fd, (struct sockaddr *)&server, sizeof server)) != 0 && errno == EADDRNOTAVAIL &&
         tries++ < 600)
    usleep(100000);
  FUZZ_CHECK(rc == 0);
  for (size_t off = 0; off < len;) {
    ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break; /* the server may answer and close before reading it all */
    off += (size_t)w;
  }
  static char head[64];
  size_t got = 0;
  char sink[4096];
  for (;;) {
    ssize_t r = recv(fd, sink, sizeof sink, 0);
    if (r < 0 && errno == EINTR) continue;
    FUZZ_CHECK(r >= 0); /* a timeout here is a hung server */
    if (r == 0) break;
    size_t take = (size_t)r < sizeof head - 1 - got ? (size_t)r : sizeof head - 1 - got;
    memcpy(head + got, sink, take);
    got += take;
  }
  close(fd);
  head[got] = '\0';
  int status = 0;
  FUZZ_CHECK(sscanf(head, "HTTP/1.%*[01] %d", &status) == 1);
  return status;
}

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* "id[,id...]", 1 to 16 hex digits each, at most 64. */
static int good_task_list(const char *s, size_t n) {
  int count = 0;
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < n && s[i] != ',') {
      if (!is_hex(s[i])) return 0;
      i++;
    }
    if (i == start || i - start > 16 || ++count > MAX_TASKS) return 0;
    if (i == n) return 1;
    i++;
  }
}

static long long count_value(const char *v, size_t n) {
  if (n == 0 || n > 10) return -1;
  long long x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return -1;
    x = x * 10 + (v[i] - '0');
  }
  return x;
}

enum { TEXT, COUNT, OFFSET, INT32 };
typedef struct rule {
  const char *key;
  int kind;
} rule;

/* Digits, a '-' before them for a negative one, within int32. */
static int int32_value(const char *v, size_t n) {
  int neg = n > 0 && v[0] == '-';
  long long x = count_value(v + neg, n - (size_t)neg);
  return x >= 0 && (neg ? -x >= INT32_MIN : x <= INT32_MAX);
}

/* The status an endpoint with these parameters must give for this query
 * string, or 0 when it does not follow from the text alone (a repeated
 * parameter). */
static int query_status(const char *q, size_t n, const rule *rules, int nrules) {
  int seen[8] = {0};
  int bad = 0;
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && q[end] != '&') end++;
    const char *eq = memchr(q + i, '=', end - i);
    size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
    const char *v = eq ? eq + 1 : NULL;
    size_t vlen = eq ? (size_t)(q + end - v) : 0;
    for (int k = 0; k < nrules; k++) {
      /* libmicrohttpd matches argument names regardless of case. */
      if (strlen(rules[k].key) != klen || strncasecmp(rules[k].key, q + i, klen) != 0) continue;
      if (seen[k]++) return 0;
      if (!v || vlen == 0) break; /* absent or empty: the default */
      if (vlen > MAX_PARAM) bad = 1;
      if (rules[k].kind == COUNT && count_value(v, vlen) < 0) bad = 1;
      if (rules[k].kind == OFFSET && (count_value(v, vlen) < 0 || count_value(v, vlen) > MAX_OFFSET)) bad = 1;
      if (rules[k].kind == INT32 && !int32_value(v, vlen)) bad = 1;
    }
    i = end + 1;
  }
  return bad ? 400 : 200;
}

static const rule task_list_rules[] = {{"q", TEXT}, {"tag", TEXT}, {"process", TEXT}, {"limit", COUNT},
                                       {"offset", OFFSET}};
static const rule page_rules[] = {{"host", TEXT}, {"pid", INT32}, {"tid", INT32}, {"limit", COUNT},
                                  {"offset", OFFSET}};

/* /api/tasks/<task>/condensed and /reports; anything else under
 * /api/tasks/ is 404. */
static int task_api_status(const char *path, const char *qm, size_t qn) {
  const char *id = path + strlen("/api/tasks/"), *slash = strchr(id, '/');
  size_t idn = slash ? (size_t)(slash - id) : 0;
  for (size_t i = 0; i < idn; i++)
    if (!is_hex(id[i])) return 404;
  if (idn == 0 || idn > 16) return 404;
  if (strcmp(slash, "/condensed") == 0) return 200;
  if (strcmp(slash, "/reports") == 0) return qm ? query_status(qm + 1, qn, page_rules, 5) : 200;
  return 404;
}

/* The status the target must get, or 0 when it is not predicted. */
static int expected_status(const char *method, const char *t, size_t n) {
  if (strcmp(method, "POST") == 0) return 405;
  if (n == 0) return 0; /* sent as "/" */
  if (memchr(t, '%', n) || memchr(t, '+', n) || memchr(t, '#', n)) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 0x7f) return 0;
  const char *qm = memchr(t, '?', n);
  size_t plen = qm ? (size_t)(qm - t) : n;
  char path[MAX_TARGET + 1];
  memcpy(path, t, plen);
  path[plen] = '\0';
  if (path[0] != '/' || strstr(path, "..") || strchr(path, '\\') || strstr(path, "//")) return 400;
  if (strcmp(path, "/api/tasks") == 0) return qm ? query_status(qm + 1, n - plen - 1, task_list_rules, 5) : 200;
  if (strncmp(path, "/api/tasks/", 11) == 0) return task_api_status(path, qm, qm ? n - plen - 1 : 0);
  if (strcmp(path, "/api/stats") == 0) return 200;
  if (strcmp(path, "/api/events") == 0) return 0; /* a stream: never ends */
  static const char *const lists[] = {"/interactive/reports/", "/reports/"};
  for (int i = 0; i < 2; i++) {
    size_t l = strlen(lists[i]);
    if (strncmp(path, lists[i], l) == 0) return good_task_list(path + l, plen - l) ? 200 : 400;
  }
  if (strncmp(path, "/api/", 5) == 0) return 404;
  return 0; /* a UI asset or not, depending on the build */
}

static int hex_value(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether the path, once libmicrohttpd has cut the query and decoded the
 * escapes, reads "/api/events" as a C string. */
static int routes_to_events(const char *t, size_t n) {
  char path[16];
  size_t m = 0;
  for (size_t i = 0; i < n && t[i] != '?' && m < sizeof path - 1; i++) {
    char c = t[i];
    if (c == '%' && i + 2 < n && hex_value(t[i + 1]) >= 0 && hex_value(t[i + 2]) >= 0) {
      c = (char)(hex_value(t[i + 1]) << 4 | hex_value(t[i + 2]));
      i += 2;
    }
    if (c == '\0') break;
    path[m++] = c;
  }
  path[m] = '\0';
  return strcmp(path, "/api/events") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > MAX_TARGET / 3) return 0;
  static const char *const methods[] = {"GET", "HEAD", "POST"};
  const char *method = methods[data[0] % 3];
  const char *t = (const char *)data + 1;
  size_t n = size - 1;
  /* The event stream never ends a response; it has tests of its own. */
  if (routes_to_events(t, n)) return 0;
  start_once();

  static char req[MAX_TARGET + 256];
  size_t len = (size_t)snprintf(req, sizeof req, "%s ", method);
  if (n == 0) req[len++] = '/';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c <= ' ' || c >= 0x7f)
      len += (size_t)snprintf(req + len, 4, "%%%02X", c);
    else
      req[len++] = (char)c;
  }
  len += (size_t)snprintf(req + len, sizeof req - len, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");

  int status = roundtrip(req, len);
  FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 414 ||
             status == 431 || status == 503);
  int want = expected_status(method, t, n);
  if (want && status != 503 && status != want) {
    fprintf(stderr, "%s %.*s: status %d, expected %d\n", method, (int)n, t, status, want);
    abort();
  }
  return 0;
}
