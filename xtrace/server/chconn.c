#include "chconn.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xt__ch {
  CURL *curl;
  char base[160]; /* http://HOST:PORT/ */
  char error[512];
};

static const char scheme[] = "clickhouse+http://";

int xt__ch_is_url(const char *s) { return strncmp(s, scheme, sizeof scheme - 1) == 0; }

static int name_ok(const char *s, size_t n) {
  if (n == 0 || n >= XT_CH_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= 'A' && s[i] <= 'Z')))
      return 0;
  return 1;
}

/* HOST:PORT with a non-empty host and a decimal port. */
static int node_ok(const char *s, size_t n) {
  const char *colon = memrchr(s, ':', n);
  if (!colon || colon == s || colon + 1 == s + n || (size_t)(s + n - colon) > 6) return 0;
  for (const char *p = colon + 1; p < s + n; p++)
    if (*p < '0' || *p > '9') return 0;
  for (const char *p = s; p < colon; p++)
    if (*p == '/' || *p == '?' || *p == '@' || *p == ' ') return 0;
  return 1;
}

int xt__ch_parse_url(const char *s, xt__ch_url *u, const char **why) {
  memset(u, 0, sizeof *u);
  if (!xt__ch_is_url(s)) return *why = "expected clickhouse+http://", -EINVAL;
  s += sizeof scheme - 1;
  const char *slash = strchr(s, '/');
  if (!slash) return *why = "expected /DATABASE after the nodes", -EINVAL;
  for (const char *p = s;; p++) {
    const char *end = memchr(p, ',', (size_t)(slash - p));
    if (!end) end = slash;
    size_t n = (size_t)(end - p);
    if (u->nnodes == XT_CH_MAX_NODES || n >= sizeof u->nodes[0] || !node_ok(p, n))
      return *why = "expected HOST:PORT[,HOST:PORT...]", -EINVAL;
    memcpy(u->nodes[u->nnodes++], p, n);
    if (end == slash) break;
    p = end;
  }
  const char *db = slash + 1, *q = strchr(db, '?');
  size_t dn = q ? (size_t)(q - db) : strlen(db);
  if (!name_ok(db, dn)) return *why = "the database name is letters, digits and _", -EINVAL;
  memcpy(u->db, db, dn);
  if (q) {
    static const char key[] = "cluster=";
    if (strncmp(q + 1, key, sizeof key - 1) != 0) return *why = "the only option is ?cluster=NAME", -EINVAL;
    const char *name = q + 1 + sizeof key - 1;
    if (!name_ok(name, strlen(name))) return *why = "the cluster name is letters, digits and _", -EINVAL;
    strcpy(u->cluster, name);
  }
  return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void init_curl(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int xt__ch_open(xt__ch **out, const xt__ch_url *u, int node, long timeout_ms) {
  pthread_once(&curl_once, init_curl);
  xt__ch *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  snprintf(c->base, sizeof c->base, "http://%s/", u->nodes[node]);
  if (!(c->curl = curl_easy_init())) {
    free(c);
    return -ENOMEM;
  }
  /* No signals: the writer and the HTTP threads run beside each other, and
   * libcurl's alarm-based DNS timeout is not thread-safe. */
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
  *out = c;
  return 0;
}

void xt__ch_close(xt__ch *c) {
  if (!c) return;
  curl_easy_cleanup(c->curl);
  free(c);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  xt__buf *b = arg;
  xt__buf_put(b, p, size * n);
  return b->oom ? 0 : size * n;
}

const char *xt__ch_error(const xt__ch *c) { return c->error; }

/* Keeps the first line of ClickHouse's error text: the rest is a stack
 * trace on some versions. */
static void set_error(xt__ch *c, const char *s, size_t n) {
  const char *nl = memchr(s, '\n', n);
  if (nl) n = (size_t)(nl - s);
  if (n >= sizeof c->error) n = sizeof c->error - 1;
  memcpy(c->error, s, n);
  c->error[n] = 0;
}

int xt__ch_exec(xt__ch *c, const char *sql, const void *data, size_t len, xt__buf *out) {
  xt__buf url, resp;
  xt__buf_init(&url);
  xt__buf_init(&resp);
  xt__buf_puts(&url, c->base);
  /* A Distributed INSERT returns once every shard has the rows, so a
   * success means stored, and a shard that is down fails the INSERT (to
   * be tried again) instead of leaving the rows in a local spool. */
  xt__buf_puts(&url, "?insert_distributed_sync=1");
  if (data) {
    char *q = curl_easy_escape(c->curl, sql, 0);
    if (!q) {
      xt__buf_free(&url);
      return -ENOMEM;
    }
    xt__buf_puts(&url, "&query=");
    xt__buf_puts(&url, q);
    curl_free(q);
  }
  xt__buf_putc(&url, 0);
  if (url.oom) {
    xt__buf_free(&url);
    return -ENOMEM;
  }
  curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
  curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
  curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data ? data : (const void *)sql);
  curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(data ? len : strlen(sql)));
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
  xt__buf *sink = out ? out : &resp;
  size_t before = sink->len;
  curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, sink);
  CURLcode rc = curl_easy_perform(c->curl);
  xt__buf_free(&url);
  int ret = 0;
  long status = 0;
  if (rc != CURLE_OK) {
    snprintf(c->error, sizeof c->error, "%s%s", c->base, curl_easy_strerror(rc));
    ret = rc == CURLE_WRITE_ERROR ? -ENOMEM : -EAGAIN;
  } else if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status), status != 200) {
    set_error(c, sink->data ? sink->data + before : "", sink->len - before);
    sink->len = before;
    ret = -EIO;
  }
  xt__buf_free(&resp);
  return ret;
}

void xt__ch_quote(xt__buf *b, const char *s) {
  xt__buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\\' || *s == '\'') xt__buf_putc(b, '\\');
    xt__buf_putc(b, *s);
  }
  xt__buf_putc(b, '\'');
}
