#include "http.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "condense.h"
#include "json.h"
#include "log.h"
#include "query.h"
#include "reader.h"
#include "report.h"
#include "stats.h"
#include "store.h"
#include "taskiter.h"
#include "taskpage.h"

#ifdef XT_HAVE_UI
#include "ui_assets.h"
#endif

/* Bounds on what a request may ask for; past them the answer is 4xx. */
#define MAX_TASKS_PER_REQUEST 64
#define MAX_QUERY_PARAM 1024
#define MAX_OFFSET 1000000000LL

struct xt__http {
  struct MHD_Daemon *d;
  int fd;
  xt__location loc;
  char *dir; /* the SQLite directory loc names */
  xt__events *events;
  const xt__hosts *hosts;
};

static const char json_type[] = "application/json; charset=utf-8";
static const char text_type[] = "text/plain; charset=utf-8";

/* Scripts and everything they fetch come from this server only, and nothing
 * inline runs. Styles allow 'unsafe-inline' because the UI sets colours
 * through style attributes and the graph carries one <style> element of
 * per-process rules; no page text ever becomes markup (it is set with
 * textContent), so that opens no way to inject script. One policy for every
 * response, so that a JSON body opened as a page gets it too. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                          "frame-ancestors 'none'";

/* Headers on every response. No Access-Control-* header, ever: other
 * origins get no CORS read access. */
static void add_safety_headers(struct MHD_Response *r) {
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Content-Security-Policy", csp);
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

/* Sends body (taking ownership of a malloc'd buffer). */
static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                                  size_t len) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  add_safety_headers(r);
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *msg) {
  char *body = strdup(msg);
  return body ? send_owned(c, status, text_type, body, strlen(body)) : MHD_NO;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *type, xt__buf *b) {
  size_t len;
  char *body = xt__buf_steal(b, &len);
  if (!body) return send_text(c, 503, "out of memory\n");
  return send_owned(c, status, type, body, len);
}

static enum MHD_Result handle_stats(struct MHD_Connection *c) {
  xt__buf b;
  xt__buf_init(&b);
  xt__stats_json(&b);
  return send_buf(c, 200, json_type, &b);
}

/* A non-negative decimal of at most 10 digits, or -1. */
static long long parse_count(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 10) return -1;
  long long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* A query parameter: NULL when absent or empty, sets *bad when too long. */
static const char *param(struct MHD_Connection *c, const char *key, int *bad) {
  const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
  if (!v || !*v) return NULL;
  if (strlen(v) > MAX_QUERY_PARAM) *bad = 1;
  return v;
}

static enum MHD_Result handle_tasks(xt__http *h, struct MHD_Connection *c) {
  int bad = 0;
  xt__task_filter f = {param(c, "q", &bad), param(c, "tag", &bad), param(c, "process", &bad),
                       XT_TASKS_DEFAULT_LIMIT, 0};
  const char *limit = param(c, "limit", &bad), *offset = param(c, "offset", &bad);
  if (limit && (f.limit = parse_count(limit)) < 0) bad = 1;
  if (offset && ((f.offset = parse_count(offset)) < 0 || f.offset > MAX_OFFSET)) bad = 1;
  if (bad) return send_text(c, 400, "bad query parameter: limit and offset are decimal counts, text at most 1024 bytes\n");
  if (f.limit > XT_TASKS_MAX_LIMIT) f.limit = XT_TASKS_MAX_LIMIT;
  xt__reader db;
  if (xt__reader_open(&h->loc, &db) < 0) return send_text(c, 503, "database unavailable\n");
  xt__buf b;
  xt__buf_init(&b);
  int rc = xt__reader_tasks(&db, &f, &b);
  xt__reader_close(&db);
  if (rc < 0) {
    xt__buf_free(&b);
    return send_text(c, 503, "database busy\n");
  }
  return send_buf(c, 200, json_type, &b);
}

/* Parses "id[,id...]". Returns the count, or -1 if any ID is malformed or
 * there are too many. */
static int parse_task_list(const char *s, int64_t *ids) {
  int n = 0;
  for (;;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (n == MAX_TASKS_PER_REQUEST || xt__parse_task_id(s, len, &ids[n]) < 0) return -1;
    n++;
    if (!comma) return n;
    s = comma + 1;
  }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  ssize_t n = xt__report_stream_read(cls, buf, max);
  if (n < 0) {
    xt__log("http", "report stream cut short: %s", strerror((int)-n));
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  return n ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls) { xt__report_stream_close(cls); }

/* The compatibility endpoints, streamed: the bytes are produced as the
 * client reads them, so memory stays at about one block whatever the size
 * of the tasks. The status is sent before the last report is read: a
 * database error after the first task has been opened cuts the answer short
 * (the connection closes without the final chunk) instead of giving 503. */
static enum MHD_Result handle_reports(xt__http *h, struct MHD_Connection *c, const char *list, int json) {
  int64_t ids[MAX_TASKS_PER_REQUEST];
  int n = parse_task_list(list, ids);
  if (n < 0) return send_text(c, 400, "bad task ID: expected 1 to 16 hex digits, at most 64 IDs separated by commas\n");
  xt__reader db;
  if (xt__reader_open(&h->loc, &db) < 0) return send_text(c, 503, "database unavailable\n");
  xt__report_stream *s;
  int rc = xt__report_stream_open(&db, ids, n, json, &s);
  if (rc < 0) return send_text(c, 503, rc == -ENOMEM ? "out of memory\n" : "database busy\n");
  struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_free);
  if (!r) {
    xt__report_stream_close(s);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", json ? json_type : text_type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  add_safety_headers(r);
  enum MHD_Result ret = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ret;
}

/* A decimal int32 for the pid and tid filters (digits, a '-' before them
 * for a negative one, nothing else); 0 or -1. */
static int parse_i32(const char *s, int32_t *out) {
  int neg = *s == '-';
  long long v = parse_count(s + neg);
  if (v < 0 || (neg ? -v < INT32_MIN : v > INT32_MAX)) return -1;
  *out = (int32_t)(neg ? -v : v);
  return 0;
}

/* A page of a task's reports (pg) or its condensed view (pg NULL) on
 * ClickHouse: the same views over a walk of the rows its reader returns. */
static enum MHD_Result view_by_walk(xt__http *h, struct MHD_Connection *c, int64_t task, const xt__report_page *pg) {
  xt__reader db;
  if (xt__reader_open(&h->loc, &db) < 0) return send_text(c, 503, "database unavailable\n");
  xt__task_iter *it;
  int rc = xt__reader_iter(&db, task, &it);
  xt__buf b;
  xt__buf_init(&b);
  if (rc == 0) {
    rc = pg ? xt__report_page_walk(it, task, pg, &b) : xt__condense_walk(it, task, &b);
    xt__task_iter_close(it);
  }
  xt__reader_close(&db);
  if (rc < 0) {
    xt__buf_free(&b);
    return send_text(c, 503, rc == -ENOMEM ? "out of memory\n" : "database busy\n");
  }
  return send_buf(c, 200, json_type, &b);
}

/* GET /api/tasks/<task>/reports: one page of a task's reports in time
 * order, optionally only those of one host, process or thread. A present
 * but empty host= selects reports without a Host. */
static enum MHD_Result handle_page(xt__http *h, struct MHD_Connection *c, int64_t task) {
  int bad = 0;
  xt__report_page pg = {0, XT_PAGE_DEFAULT_LIMIT, NULL, 0, 0, 0, 0};
  const char *limit = param(c, "limit", &bad), *offset = param(c, "offset", &bad);
  const char *pid = param(c, "pid", &bad), *tid = param(c, "tid", &bad);
  pg.host = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "host");
  if (pg.host && strlen(pg.host) > MAX_QUERY_PARAM) bad = 1;
  if (limit && (pg.limit = parse_count(limit)) < 0) bad = 1;
  if (offset && ((pg.offset = parse_count(offset)) < 0 || pg.offset > MAX_OFFSET)) bad = 1;
  if (pid && parse_i32(pid, &pg.pid) < 0) bad = 1;
  if (tid && parse_i32(tid, &pg.tid) < 0) bad = 1;
  if (bad)
    return send_text(c, 400, "bad query parameter: limit, offset, pid and tid are decimal, text at most 1024 bytes\n");
  pg.has_pid = pid != NULL;
  pg.has_tid = tid != NULL;
  if (pg.limit > XT_PAGE_MAX_LIMIT) pg.limit = XT_PAGE_MAX_LIMIT;
  if (h->loc.ch) return view_by_walk(h, c, task, &pg);
  sqlite3 *db;
  if (xt__db_open_read(h->dir, &db) < 0) return send_text(c, 503, "database unavailable\n");
  xt__buf b;
  xt__buf_init(&b);
  int rc = xt__query_report_page(db, task, &pg, &b);
  sqlite3_close(db);
  if (rc < 0) {
    xt__buf_free(&b);
    return send_text(c, 503, rc == -ENOMEM ? "out of memory\n" : "database busy\n");
  }
  return send_buf(c, 200, json_type, &b);
}

static enum MHD_Result handle_condensed(xt__http *h, struct MHD_Connection *c, int64_t task) {
  if (h->loc.ch) return view_by_walk(h, c, task, NULL);
  sqlite3 *db;
  if (xt__db_open_read(h->dir, &db) < 0) return send_text(c, 503, "database unavailable\n");
  xt__buf b;
  xt__buf_init(&b);
  int rc = xt__condense_task(db, task, &b);
  sqlite3_close(db);
  if (rc < 0) {
    xt__buf_free(&b);
    return send_text(c, 503, rc == -ENOMEM ? "out of memory\n" : "database busy\n");
  }
  return send_buf(c, 200, json_type, &b);
}

/* /api/tasks/<task>/<what> */
static enum MHD_Result handle_task_api(xt__http *h, struct MHD_Connection *c, const char *rest) {
  const char *slash = strchr(rest, '/');
  int64_t task;
  if (!slash || xt__parse_task_id(rest, (size_t)(slash - rest), &task) < 0)
    return send_text(c, 404, "no such endpoint: /api/tasks/<task>/condensed or /api/tasks/<task>/reports\n");
  if (strcmp(slash, "/condensed") == 0) return handle_condensed(h, c, task);
  if (strcmp(slash, "/reports") == 0) return handle_page(h, c, task);
  return send_text(c, 404, "no such endpoint: /api/tasks/<task>/condensed or /api/tasks/<task>/reports\n");
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  ssize_t n = xt__events_read(cls, buf, max);
  return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void sse_free(void *cls) { xt__events_unsubscribe(cls); }

static enum MHD_Result handle_events(xt__http *h, struct MHD_Connection *c) {
  xt__sse_client *cl = xt__events_subscribe(h->events);
  if (!cl) return send_text(c, 503, "too many event streams\n");
  struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, cl, sse_free);
  if (!r) {
    xt__events_unsubscribe(cl);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "text/event-stream");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  add_safety_headers(r);
  enum MHD_Result ret = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result handle_asset(struct MHD_Connection *c, const char *url) {
#ifdef XT_HAVE_UI
  const xt_ui_asset *a = xt_ui_asset_find(strcmp(url, "/") == 0 ? "/index.html" : url);
  if (a) {
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", a->content_type);
    add_safety_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
  }
#else
  (void)url;
#endif
  return send_text(c, 404, "not found\n");
}

/* Nothing is ever read from the file system by path, so traversal cannot
 * reach a file; such paths are still refused outright. */
static int hostile_path(const char *url) {
  return url[0] != '/' || strstr(url, "..") || strchr(url, '\\') || strstr(url, "//");
}

static int has_prefix(const char *s, const char *p, const char **rest) {
  size_t n = strlen(p);
  if (strncmp(s, p, n) != 0) return 0;
  *rest = s + n;
  return 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
  (void)version, (void)upload, (void)upload_size, (void)state;
  xt__http *h = cls;
  const char *rest;
  /* First of all: a page whose own name now resolves to this machine (DNS
   * rebinding) sends its own name as Host, and must read nothing. */
  if (!xt__hosts_allow(h->hosts, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
    return send_text(c, 403, "forbidden: the Host header does not name this server (see --allow-host)\n");
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return send_text(c, 405, "only GET and HEAD\n");
  if (hostile_path(url)) return send_text(c, 400, "bad path\n");
  if (strcmp(url, "/api/tasks") == 0) return handle_tasks(h, c);
  if (strcmp(url, "/api/stats") == 0) return handle_stats(c);
  if (strcmp(url, "/api/events") == 0) return handle_events(h, c);
  if (has_prefix(url, "/interactive/reports/", &rest)) return handle_reports(h, c, rest, 1);
  if (has_prefix(url, "/reports/", &rest)) return handle_reports(h, c, rest, 0);
  if (has_prefix(url, "/api/tasks/", &rest)) return handle_task_api(h, c, rest);
  if (has_prefix(url, "/api/", &rest)) return send_text(c, 404, "no such endpoint\n");
  return handle_asset(c, url);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && msg[n - 1] == '\n') msg[--n] = 0;
  xt__log("http", "%s", msg);
}

int xt__http_start(xt__http **out, int fd, const xt__location *loc, xt__events *events, const xt__hosts *hosts) {
  xt__http *h = calloc(1, sizeof *h);
  if (!h || (loc->dir && !(h->dir = strdup(loc->dir)))) {
    free(h);
    close(fd);
    return -ENOMEM;
  }
  h->fd = fd;
  h->loc = (xt__location){h->dir, loc->ch};
  h->events = events;
  h->hosts = hosts;
  /* Thread per connection, because an event stream blocks between messages.
   * The connection limit bounds the threads; the per-connection memory limit
   * makes MHD answer oversized request lines and headers with 4xx itself.
   * poll(), not select(): with thousands of publishers connected, HTTP
   * sockets get descriptors past FD_SETSIZE. */
  h->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                              MHD_USE_ITC | MHD_USE_ERROR_LOG,
                          0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                          MHD_OPTION_LISTEN_SOCKET, fd,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_CONNECTION_TIMEOUT,
                          (unsigned)60, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                          MHD_OPTION_END);
  if (!h->d) {
    close(fd);
    free(h->dir);
    free(h);
    return -EIO;
  }
  *out = h;
  return 0;
}

void xt__http_stop(xt__http *h) {
  if (!h) return;
  MHD_stop_daemon(h->d); /* closes the listening socket too */
  free(h->dir);
  free(h);
}
