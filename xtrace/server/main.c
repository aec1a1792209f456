/* xtrace-server: the X-Trace collector. Threads: this one waits for
 * SIGINT/SIGTERM; ingest reads publisher sockets; the writer commits to
 * SQLite or ClickHouse; libmicrohttpd serves the API, one thread per HTTP
 * connection. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"
#include "export.h"
#include "http.h"
#include "ingest.h"
#include "chconn.h"
#include "chpoll.h"
#include "log.h"
#include "net.h"
#include "queue.h"
#include "retain.h"
#include "store.h"

#define QUEUE_BYTES (64u << 20)
#define MAX_EVENT_STREAMS 64

typedef struct options {
  const char *reports_addr, *http_addr, *data_dir, *export_task, *format;
  const char *store;    /* --store URL, or NULL for SQLite in data_dir */
  xt__ch_url ch;        /* parsed --store */
  xt__location loc;
  char *allow_hosts, *reports_allow; /* every --allow-host / --reports-allow, joined by commas */
  xt__ingest_limits lim;
  xt__retain_limits retain;
} options;

static void usage(FILE *f) {
  fputs("usage: xtrace-server [--reports-addr HOST:PORT] [--http-addr HOST:PORT]\n"
        "                    [--data-dir DIR | --store clickhouse+http://HOST:PORT[,...]/DB[?cluster=NAME]]\n"
        "                    [--allow-host NAME[,NAME...]] [--reports-allow CIDR[,CIDR...]]\n"
        "                    [--retain-days N] [--max-db-bytes N]\n"
        "       xtrace-server --export TASK [--format json|dot|chrome] [--data-dir DIR | --store URL]\n"
        "\n"
        "Collects X-Trace v4 reports (pubsub frames over TCP), stores them in SQLite\n"
        "(or ClickHouse) and serves the HTTP API and web UI.\n"
        "\n"
        "  --reports-addr HOST:PORT  where publishers connect (default 127.0.0.1:5563)\n"
        "  --http-addr HOST:PORT     HTTP API and UI (default 127.0.0.1:4080)\n"
        "  --data-dir DIR            database directory (default ./xtrace-data)\n"
        "  --store URL               keep reports in ClickHouse instead:\n"
        "                            clickhouse+http://HOST:PORT[,HOST:PORT...]/DATABASE[?cluster=NAME];\n"
        "                            statements go to the first node, the schema is created\n"
        "                            on every node listed (with a cluster: one per shard)\n"
        "  --retain-days N           delete tasks whose last report is older than N days\n"
        "                            (ClickHouse: drop the day partitions older than N days)\n"
        "  --max-db-bytes N          delete the least recently active tasks while the database\n"
        "                            uses more than N bytes (suffix K, M, G: powers of 1024)\n"
        "  --allow-host NAME[,...]   more names (or addresses) the HTTP port answers to in\n"
        "                            the Host header; other Hosts get 403\n"
        "  --reports-allow CIDR[,...] networks publishers may connect from (default:\n"
        "                            loopback; when the report port is not bound to\n"
        "                            loopback, also the networks of this machine's interfaces)\n"
        "  --export TASK             write one task to stdout and exit; TASK is 1-16 hex digits\n"
        "  --format F                export format: json (default), dot, chrome\n"
        "  --max-connections N       publisher connections kept open at once (default 16384)\n"
        "  --stall-ms MS             drop a publisher whose partial frame gets no new byte\n"
        "                            for this long (default 30000); idle ones are kept\n"
        "  --help                    this text\n"
        "\n"
        "Port 0 picks a free port. The first two lines on stdout are the bound addresses:\n"
        "  reports: HOST:PORT\n"
        "  http: http://HOST:PORT/\n",
        f);
}

static long positive(const char *s) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v <= 0 || v > 1000000000) {
    fprintf(stderr, "xtrace-server: '%s' is not a positive number\n", s);
    return -1;
  }
  return v;
}

/* A byte count with an optional K, M or G (powers of 1024). */
static int64_t byte_count(const char *s) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  int shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : *end == 'G' || *end == 'g' ? 30 : 0;
  if (shift) end++;
  if (errno || *end || end == s || v <= 0 || v > (INT64_MAX >> 30)) {
    fprintf(stderr, "xtrace-server: '%s' is not a byte count (N, NK, NM or NG)\n", s);
    return -1;
  }
  return (int64_t)v << shift;
}

/* Appends a comma and s to *list, so a flag given twice adds to the first. */
static int append_list(char **list, const char *s) {
  size_t old = *list ? strlen(*list) : 0, n = strlen(s);
  char *p = realloc(*list, old + n + 2);
  if (!p) return -ENOMEM;
  if (old) p[old++] = ',';
  memcpy(p + old, s, n + 1);
  *list = p;
  return 0;
}

static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"reports-addr", required_argument, NULL, 'r'}, {"http-addr", required_argument, NULL, 'H'},
      {"data-dir", required_argument, NULL, 'd'},     {"export", required_argument, NULL, 'e'},
      {"format", required_argument, NULL, 'f'},       {"help", no_argument, NULL, 'h'},
      {"max-connections", required_argument, NULL, 'm'}, {"stall-ms", required_argument, NULL, 's'},
      {"allow-host", required_argument, NULL, 'A'},   {"reports-allow", required_argument, NULL, 'R'},
      {"retain-days", required_argument, NULL, 'D'},  {"max-db-bytes", required_argument, NULL, 'B'},
      {"store", required_argument, NULL, 'S'},
      {NULL, 0, NULL, 0}};
  *o = (options){.reports_addr = "127.0.0.1:5563", .http_addr = "127.0.0.1:4080", .data_dir = "./xtrace-data",
                 .format = "json"};
  xt__ingest_default_limits(&o->lim);
  int c;
  long v;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'r': o->reports_addr = optarg; break;
    case 'H': o->http_addr = optarg; break;
    case 'd': o->data_dir = optarg; break;
    case 'S': o->store = optarg; break;
    case 'e': o->export_task = optarg; break;
    case 'f': o->format = optarg; break;
    case 'h': usage(stdout); exit(0);
    case 'm':
      if ((v = positive(optarg)) < 0) return -EINVAL;
      o->lim.max_connections = (size_t)v;
      break;
    case 's':
      if ((v = positive(optarg)) < 0) return -EINVAL;
      o->lim.stall_ms = (int)v;
      break;
    case 'D':
      if ((v = positive(optarg)) < 0 || v > 100000) return -EINVAL;
      o->retain.max_age_us = (int64_t)v * 86400 * 1000000;
      break;
    case 'B':
      if ((o->retain.max_bytes = byte_count(optarg)) < 0) return -EINVAL;
      break;
    case 'A':
      if (append_list(&o->allow_hosts, optarg) < 0) return -ENOMEM;
      break;
    case 'R':
      if (append_list(&o->reports_allow, optarg) < 0) return -ENOMEM;
      break;
    default: usage(stderr); return -EINVAL;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "xtrace-server: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return -EINVAL;
  }
  o->loc = (xt__location){o->data_dir, NULL};
  if (o->store) {
    const char *why;
    if (xt__ch_parse_url(o->store, &o->ch, &why) < 0) {
      fprintf(stderr, "xtrace-server: bad --store '%s': %s\n", o->store, why);
      return -EINVAL;
    }
    if (o->retain.max_bytes) {
      fprintf(stderr, "xtrace-server: --max-db-bytes is for SQLite; with ClickHouse use --retain-days\n");
      return -EINVAL;
    }
    o->loc = (xt__location){NULL, &o->ch};
  }
  return 0;
}

/* Each publisher connection is a descriptor: thousands of idle publishers
 * need more than the usual soft limit of 1024. */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int listen_or_explain(const char *what, const char *addr, int *fd, char *actual, size_t n) {
  int rc = xt__listen_tcp(addr, fd, actual, n);
  if (rc == -EINVAL)
    xt__log("main", "bad %s address '%s': expected HOST:PORT", what, addr);
  else if (rc < 0)
    xt__log("main", "cannot listen for %s on %s: %s", what, addr, strerror(-rc));
  return rc;
}

typedef struct server {
  xt__hosts *hosts;
  xt__nets *allow;
  xt__queue q;
  xt__store *store;
  xt__events *events;
  xt__ingest *ingest;
  xt__http *http;
  xt__retain *retain;
  xt__chpoll *poll;
} server;

/* The Host names the HTTP port answers and the networks the report port
 * takes publishers from, from the addresses the sockets are bound to. */
static int access_lists(server *s, const options *o, int rfd, int hfd) {
  struct sockaddr_storage rss, hss;
  socklen_t rl = sizeof rss, hl = sizeof hss;
  char host[256], port[8], desc[1024];
  if (getsockname(rfd, (struct sockaddr *)&rss, &rl) < 0 || getsockname(hfd, (struct sockaddr *)&hss, &hl) < 0)
    return -errno;
  xt__split_hostport(o->http_addr, host, sizeof host, port, sizeof port);
  int rc = xt__hosts_new(&s->hosts, host, (struct sockaddr *)&hss, o->allow_hosts);
  if (rc < 0) {
    xt__log("main", "bad --allow-host '%s': expected host names or addresses separated by commas",
            o->allow_hosts);
    return rc;
  }
  rc = o->reports_allow ? xt__nets_parse(&s->allow, o->reports_allow)
                        : xt__nets_default(&s->allow, (struct sockaddr *)&rss);
  if (rc < 0) {
    xt__log("main", "bad --reports-allow '%s': expected CIDR[,CIDR...], e.g. 10.0.0.0/8,127.0.0.1",
            o->reports_allow ? o->reports_allow : "");
    return rc;
  }
  xt__hosts_describe(s->hosts, desc, sizeof desc);
  xt__log("main", "HTTP answers Host: %s", desc);
  xt__nets_describe(s->allow, desc, sizeof desc);
  xt__log("main", "publishers accepted from %s", desc);
  return 0;
}

static int start(server *s, options *o) {
  char raddr[128], haddr[128];
  int rfd = -1, hfd = -1, rc;
  if ((rc = listen_or_explain("reports", o->reports_addr, &rfd, raddr, sizeof raddr)) < 0) return rc;
  if ((rc = listen_or_explain("http", o->http_addr, &hfd, haddr, sizeof haddr)) < 0) {
    close(rfd);
    return rc;
  }
  if ((rc = access_lists(s, o, rfd, hfd)) < 0) {
    close(rfd);
    close(hfd);
    return rc;
  }
  o->lim.allow = s->allow;
  rc = o->store ? xt__store_open_clickhouse(&s->store, &o->ch, &s->q) : xt__store_open(&s->store, o->data_dir, &s->q);
  if (rc < 0) {
    xt__log("main", "cannot open the database in %s: %s", o->store ? o->store : o->data_dir, strerror(-rc));
    close(rfd);
    close(hfd);
    return rc;
  }
  if ((rc = xt__events_new(&s->events, MAX_EVENT_STREAMS)) < 0 ||
      (rc = xt__ingest_new(&s->ingest, rfd, &s->q, &o->lim)) < 0) {
    close(hfd);
    return rc;
  }
  if ((rc = xt__retain_start(&s->retain, &o->loc, &o->retain)) < 0) {
    close(hfd);
    return rc;
  }
  /* With ClickHouse, other collectors change tasks too: the stream polls
   * the cluster instead of following this writer's commits. */
  if (o->store)
    rc = xt__chpoll_start(&s->poll, &o->ch, s->events);
  else
    xt__store_on_commit(s->store, xt__events_commit, s->events);
  if (rc < 0) {
    close(hfd);
    return rc;
  }
  if ((rc = xt__store_start(s->store)) < 0 || (rc = xt__ingest_start(s->ingest)) < 0) {
    close(hfd);
    return rc;
  }
  if ((rc = xt__http_start(&s->http, hfd, &o->loc, s->events, s->hosts)) < 0) {
    xt__log("main", "cannot start the HTTP server on %s", haddr);
    return rc;
  }
  printf("reports: %s\nhttp: http://%s/\n", raddr, haddr);
  fflush(stdout);
  xt__log("main", "storing in %s", o->store ? o->store : o->data_dir);
  return 0;
}

/* Order matters: stop reading first, so the last batch is queued; close the
 * queue so the writer commits what is left and ends; end the event streams
 * before the HTTP daemon joins their threads. */
static void stop(server *s) {
  /* While commits fail, ingest may be blocked on a full queue: the writer
   * must give up on them for ingest to stop. */
  if (s->store) xt__store_stop_retrying(s->store);
  xt__retain_stop(s->retain);
  if (s->ingest) xt__ingest_stop(s->ingest);
  xt__queue_close(&s->q);
  if (s->store) xt__store_join(s->store);
  xt__chpoll_stop(s->poll);
  if (s->events) xt__events_shutdown(s->events);
  xt__http_stop(s->http);
  xt__ingest_free(s->ingest);
  xt__store_free(s->store);
  xt__events_free(s->events);
  xt__queue_destroy(&s->q);
  xt__hosts_free(s->hosts);
  xt__nets_free(s->allow);
}

/* Malformed access lists are usage errors, reported before anything
 * listens; start() builds the real lists from the bound addresses. */
static int check_access_flags(const options *o) {
  struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  xt__hosts *h;
  xt__nets *n;
  if (xt__hosts_new(&h, NULL, (struct sockaddr *)&lo, o->allow_hosts) < 0) {
    fprintf(stderr, "xtrace-server: bad --allow-host '%s': expected names or addresses separated by commas\n",
            o->allow_hosts);
    return -EINVAL;
  }
  xt__hosts_free(h);
  if (o->reports_allow) {
    if (xt__nets_parse(&n, o->reports_allow) < 0) {
      fprintf(stderr, "xtrace-server: bad --reports-allow '%s': expected CIDR[,CIDR...]\n", o->reports_allow);
      return -EINVAL;
    }
    xt__nets_free(n);
  }
  return 0;
}

static int serve(options *o) {
  raise_fd_limit();
  /* SQLite's allocation statistics take a global mutex on every malloc; the
   * server never reads them. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  /* Signals are taken synchronously by this thread only; the other threads
   * inherit the blocked mask. A publisher or browser that goes away must not
   * kill the process with SIGPIPE. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  server s;
  memset(&s, 0, sizeof s);
  xt__queue_init(&s.q, QUEUE_BYTES);
  if (start(&s, o) < 0) {
    stop(&s);
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  xt__log("main", "signal %d: flushing and exiting", sig);
  stop(&s);
  return 0;
}

int main(int argc, char **argv) {
  options o;
  int rc;
  if (parse_options(argc, argv, &o) < 0 || check_access_flags(&o) < 0)
    rc = 2;
  else if (o.export_task)
    rc = xt__export_main(&o.loc, o.export_task, o.format, stdout) < 0 ? 1 : 0;
  else
    rc = serve(&o);
  free(o.allow_hosts);
  free(o.reports_allow);
  return rc;
}
