/* A test publisher for xtrace-server: speaks the pubsub framing over TCP and
 * builds X-Trace v4 reports with protobuf-c, like the reference clients.
 *
 *   publisher ADDR scenario          the fixed reports the integration test checks
 *   publisher ADDR bench N           N reports as fast as possible (tasks of 100)
 *   publisher ADDR trickle N RATE PERIOD_MS
 *                                    N reports like bench's at RATE per second,
 *                                    one write every PERIOD_MS
 *   publisher ADDR one TASK LABEL    one report
 *   publisher ADDR absurd-topic|absurd-msg|garbage|topic   one hostile stream, then
 *                                    (except absurd-*) a good report of task 0xbad0
 *   publisher ADDR partial SECONDS   half a frame, then silence for SECONDS
 *   publisher ADDR idle N SECONDS    N connections that send nothing
 *   publisher ADDR drip TASK SIZE CHUNK PERIOD_MS
 *                                    one report with a SIZE-byte label, CHUNK bytes
 *                                    per write every PERIOD_MS (0: one write)
 *   publisher ADDR huge TASK N       one task of N reports over 32 threads, then its
 *                                    expected condensed view as JSON on stdout
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xtrace/frame.h"
#include "xtrace_report.pb-c.h"

static const char *addr;

static int connect_addr(void) {
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) {
    fprintf(stderr, "publisher: bad address %s\n", addr);
    exit(2);
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = 0;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
  if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
    fprintf(stderr, "publisher: cannot resolve %s\n", addr);
    exit(2);
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
    perror("publisher: connect");
    exit(1);
  }
  freeaddrinfo(res);
  return fd;
}

static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      perror("publisher: send");
      exit(1);
    }
    c += w;
    n -= (size_t)w;
  }
}

/* Appends one framed report to buf (which must have room) and returns its size. */
static size_t frame_report(uint8_t *buf, const Pubsub__XTraceReportv4 *r) {
  size_t len = pubsub__xtrace_reportv4__get_packed_size(r);
  xt_frame_header(buf, (uint32_t)len);
  pubsub__xtrace_reportv4__pack(r, buf + XT_FRAME_HEADER_LEN);
  return XT_FRAME_HEADER_LEN + len;
}

static void send_report(int fd, const Pubsub__XTraceReportv4 *r) {
  uint8_t buf[65536];
  send_all(fd, buf, frame_report(buf, r));
}

typedef struct spec {
  int64_t task, event;
  int64_t parents[4];
  size_t nparents;
  int64_t ts;
  const char *host, *pname, *label;
  int pid, tid;
  const char *tag, *key, *value;
} spec;

static void send_spec(int fd, const spec *s) {
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  r.has_task_id = r.has_event_id = r.has_timestamp = r.has_hrt = r.has_process_id = r.has_thread_id = 1;
  r.task_id = s->task;
  r.event_id = s->event;
  r.n_parent_event_id = s->nparents;
  r.parent_event_id = (int64_t *)s->parents;
  r.timestamp = s->ts;
  r.hrt = 5000;
  r.host = (char *)s->host;
  r.process_id = s->pid;
  r.process_name = (char *)s->pname;
  r.thread_id = s->tid;
  r.threadname = "worker";
  r.agent = "test";
  r.source = "publisher.c";
  r.label = (char *)s->label;
  char *tag = (char *)s->tag, *key = (char *)s->key, *value = (char *)s->value;
  if (tag) r.n_tags = 1, r.tags = &tag;
  if (key) r.n_key = r.n_value = 1, r.key = &key, r.value = &value;
  send_report(fd, &r);
}

/* Three processes (one per connection, as real ones would be), a cross-process
 * edge each way and a join with two parents; timestamps in microseconds except
 * one in milliseconds, as the Java client sends them. */
static int scenario(void) {
  const int64_t T = 0x1234abcd5678ef01;
  static const spec alpha[] = {
      {T, 11, {0}, 0, 1700000000000000, "alpha", "frontend --port 1", "request start", 101, 101, "main", NULL, NULL},
      {T, 12, {11}, 1, 1700000000000100, "alpha", "frontend --port 1", "calling backend", 101, 101, NULL, NULL, NULL},
      {T, 13, {12, 22}, 2, 1700000000002000, "alpha", "frontend --port 1", "join", 101, 102, NULL, NULL, NULL},
  };
  static const spec beta[] = {
      {T, 21, {12}, 1, 1700000000000200, "beta", "backend", "handling <script>alert(1)</script>", 202, 202, NULL,
       "peer", "alpha:1"},
      {T, 22, {21}, 1, 1700000000001, "beta", "backend", "backend done", 202, 202, "rpc", NULL, NULL},
  };
  static const spec gamma[] = {
      {2, 31, {0}, 0, 1700000000005000, "gamma", "batch", "other task", 303, 303, "batch", NULL, NULL},
      {3, 41, {0}, 0, 1700000000006000, "gamma", "batch", "q\"uote \\ back\nline \x01 bad\xff end", 303, 303,
       NULL, NULL, NULL},
  };
  const spec *groups[] = {alpha, beta, gamma};
  size_t sizes[] = {3, 2, 2};
  for (int g = 0; g < 3; g++) {
    pid_t p = fork();
    if (p == 0) {
      int fd = connect_addr();
      for (size_t i = 0; i < sizes[g]; i++) send_spec(fd, &groups[g][i]);
      close(fd);
      _exit(0);
    }
  }
  int status, ok = 1;
  while (wait(&status) > 0) ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return ok ? 0 : 1;
}

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Reports shaped like the preload's: tasks of 100 events in a chain, a log
 * line as label. */
typedef struct gen {
  long i;
  int64_t task, parent;
} gen;

static void gen_init(gen *g) {
  rng_state = (uint64_t)getpid() * 0x9E3779B97F4A7C15u ^ (uint64_t)time(NULL);
  if (!rng_state) rng_state = 1;
  *g = (gen){0, 0, 0};
}

/* Appends the next framed report to buf (which must have 512 bytes free). */
static size_t gen_next(gen *g, uint8_t *buf) {
  if (g->i % 100 == 0) g->task = (int64_t)(rnd() >> 1) | 1, g->parent = 0;
  char label[64], host[] = "benchhost";
  struct timespec now;
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  int64_t event = (int64_t)(rnd() >> 1) | 1;
  clock_gettime(CLOCK_REALTIME, &now);
  r.has_task_id = r.has_event_id = r.has_timestamp = r.has_hrt = r.has_process_id = r.has_thread_id = 1;
  r.task_id = g->task;
  r.event_id = event;
  if (g->parent) r.n_parent_event_id = 1, r.parent_event_id = &g->parent;
  r.timestamp = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
  r.hrt = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  r.host = host;
  r.process_id = getpid();
  r.process_name = "bench-publisher";
  r.thread_id = getpid();
  r.agent = "stderr";
  snprintf(label, sizeof label, "handled request %ld in 42 us status=ok", g->i);
  r.label = label;
  size_t n = frame_report(buf, &r);
  g->parent = event;
  g->i++;
  return n;
}

static uint8_t out[1 << 16];

/* Appends reports to out until `upto` have been generated, sending whenever
 * out fills up; the caller sends the rest. */
static size_t fill(int fd, gen *g, long upto, size_t used) {
  while (g->i < upto) {
    if (used + 512 > sizeof out) {
      send_all(fd, out, used);
      used = 0;
    }
    used += gen_next(g, out + used);
  }
  return used;
}

/* As fast as possible, in 64 KiB writes. */
static int bench(long n) {
  int fd = connect_addr();
  gen g;
  gen_init(&g);
  send_all(fd, out, fill(fd, &g, n, 0));
  close(fd);
  return 0;
}

/* On a fixed schedule, the way a traced process's reporter thread sends when
 * the application logs at a steady rate: every period_ms one write with the
 * reports due by then. The schedule is absolute, so a write that comes late
 * is followed by a larger one instead of the rate drifting down. */
static int trickle(long n, long rate, long period_ms) {
  if (n < 0 || rate <= 0 || period_ms <= 0) {
    fprintf(stderr, "publisher: trickle needs N >= 0, RATE > 0, PERIOD_MS > 0\n");
    return 2;
  }
  int fd = connect_addr();
  gen g;
  gen_init(&g);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long tick = 1; g.i < n; tick++) {
    long long ns = (long long)start.tv_nsec + (long long)tick * period_ms * 1000000;
    struct timespec at = {start.tv_sec + (time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {
    }
    long long due = (long long)rate * period_ms * tick / 1000;
    size_t used = fill(fd, &g, due < n ? (long)due : n, 0);
    if (used) send_all(fd, out, used);
  }
  close(fd);
  return 0;
}

/* One task of n reports shaped like a long-running multi-threaded service,
 * generated at full speed so a test can have a million-event task in
 * seconds: 4 processes of 8 threads on one host, the threads taking turns
 * (timestamps one microsecond apart, so time order is generation order).
 * The main thread starts the task; every thread's first event descends
 * from that start (the other processes' threads too: spawned processes);
 * each thread's events form a chain, and every 1000th of them also
 * descends from the latest event of the thread before it (a hand-off);
 * at the end the main thread joins the other 31 threads one by one. The
 * last process runs exec halfway: its command line changes from then on.
 *
 * Afterwards prints what the condensed view of the task must be, computed
 * here from the generated events directly (threads by index, no lookups by
 * ID): per-thread counts, the edges between threads, and the critical path
 * (from the last event, always to the latest parent) as runs per thread. */
#define HUGE_THREADS 32
#define HUGE_PER_PROC 8

static int huge(int64_t task, long n) {
  if (task <= 0 || n < 2 * HUGE_THREADS) {
    fprintf(stderr, "publisher: huge needs a positive TASK and N >= %d\n", 2 * HUGE_THREADS);
    return 2;
  }
  uint8_t *thr = malloc((size_t)n);
  int32_t *best = malloc((size_t)n * sizeof *best);
  long *count = calloc(HUGE_THREADS, sizeof *count), last[HUGE_THREADS];
  static long edges[HUGE_THREADS][HUGE_THREADS];
  int64_t ids[HUGE_THREADS], start_id = 0;
  if (!thr || !best || !count) return 1;
  rng_state = (uint64_t)task * 0x9E3779B97F4A7C15u | 1;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t base = (int64_t)now.tv_sec * 1000000 - n; /* the task ends now */
  int fd = connect_addr();
  size_t used = 0;
  long joins = HUGE_THREADS - 1, body_end = n - joins;
  for (long i = 0; i < n; i++) {
    int t = i == 0 || i >= body_end ? 0 : (int)((i - 1) % HUGE_THREADS);
    int64_t parents[2];
    long pidx[2];
    size_t np = 0;
    if (i == 0) {
    } else if (i >= body_end) {
      int joined = (int)(i - body_end) + 1;
      parents[np] = ids[0], pidx[np++] = last[0];
      parents[np] = ids[joined], pidx[np++] = last[joined];
    } else if (count[t] == 0) {
      parents[np] = start_id, pidx[np++] = 0;
    } else {
      parents[np] = ids[t], pidx[np++] = last[t];
      if (count[t] % 1000 == 999) {
        int from = (t + HUGE_THREADS - 1) % HUGE_THREADS;
        if (count[from]) parents[np] = ids[from], pidx[np++] = last[from];
      }
    }
    int64_t id = (int64_t)(rnd() >> 1) | 1;
    thr[i] = (uint8_t)t;
    best[i] = -1;
    for (size_t k = 0; k < np; k++) {
      if (best[i] < 0 || pidx[k] > best[i]) best[i] = (int32_t)pidx[k];
      if (thr[pidx[k]] != t) edges[thr[pidx[k]]][t]++;
    }
    ids[t] = id;
    last[t] = i;
    count[t]++;
    if (i == 0) start_id = id;

    int proc = t / HUGE_PER_PROC, pid = 4000 + proc;
    char label[64], tname[32];
    snprintf(label, sizeof label, "thread %d step %ld", t, count[t]);
    snprintf(tname, sizeof tname, t ? "worker-%d" : "main", t);
    Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
    r.has_task_id = r.has_event_id = r.has_timestamp = r.has_hrt = r.has_process_id = r.has_thread_id = 1;
    r.task_id = task;
    r.event_id = id;
    r.n_parent_event_id = np;
    r.parent_event_id = parents;
    r.timestamp = base + i;
    r.hrt = (base + i) * 1000;
    r.host = "hugehost";
    r.process_id = pid;
    r.process_name = proc == 0                    ? "service --main"
                     : proc < 3                   ? "service --worker"
                     : i < n / 2                  ? "sh -c stage-two"
                                                  : "stage-two --input -";
    r.thread_id = t % HUGE_PER_PROC ? pid * 100 + t % HUGE_PER_PROC : pid;
    r.threadname = tname;
    r.agent = "stderr";
    r.label = label;
    if (used + 512 > sizeof out) {
      send_all(fd, out, used);
      used = 0;
    }
    used += frame_report(out + used, &r);
  }
  send_all(fd, out, used);
  close(fd);

  printf("{\"reports\":%ld,\"threads\":[", n);
  for (int t = 0; t < HUGE_THREADS; t++) {
    int pid = 4000 + t / HUGE_PER_PROC;
    printf("%s{\"pid\":%d,\"tid\":%d,\"events\":%ld}", t ? "," : "", pid,
           t % HUGE_PER_PROC ? pid * 100 + t % HUGE_PER_PROC : pid, count[t]);
  }
  printf("],\"edges\":[");
  int first = 1;
  for (int a = 0; a < HUGE_THREADS; a++)
    for (int b = 0; b < HUGE_THREADS; b++)
      if (edges[a][b]) printf("%s{\"from\":%d,\"to\":%d,\"count\":%ld}", first ? "" : ",", a, b, edges[a][b]), first = 0;
  /* The critical path, walked back and printed forwards. */
  long steps = 0, nseg = 0;
  int *seg_thr = malloc((size_t)n * sizeof *seg_thr);
  long *seg_n = malloc((size_t)n * sizeof *seg_n);
  if (!seg_thr || !seg_n) return 1;
  for (long i = n - 1; i >= 0; i = best[i]) {
    if (!nseg || seg_thr[nseg - 1] != thr[i]) seg_thr[nseg] = thr[i], seg_n[nseg++] = 0;
    seg_n[nseg - 1]++;
    steps++;
  }
  printf("],\"critical\":{\"events\":%ld,\"segments\":[", steps);
  for (long s = nseg - 1; s >= 0; s--) printf("%s[%d,%ld]", s == nseg - 1 ? "" : ",", seg_thr[s], seg_n[s]);
  printf("]}}\n");
  free(thr);
  free(best);
  free(count);
  free(seg_thr);
  free(seg_n);
  return 0;
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void good_after(int fd) {
  spec s = {0xbad0, 1, {0}, 0, 1700000000000000, "h", "p", "good after bad", 1, 1, NULL, NULL, NULL};
  send_spec(fd, &s);
}

static int hostile(const char *kind, int argc, char **argv) {
  int fd = connect_addr();
  uint8_t b[64];
  if (strcmp(kind, "absurd-topic") == 0) {
    put_be32(b, 0xFFFFFFF0u);
    send_all(fd, b, 4);
  } else if (strcmp(kind, "absurd-msg") == 0) {
    put_be32(b, 6);
    memcpy(b + 4, "xtrace", 6);
    put_be32(b + 10, 0x7FFFFFFFu);
    send_all(fd, b, 14);
  } else if (strcmp(kind, "garbage") == 0) {
    memset(b, 0xff, 20);
    uint8_t h[XT_FRAME_HEADER_LEN];
    send_all(fd, h, xt_frame_header(h, 20));
    send_all(fd, b, 20);
    good_after(fd);
  } else if (strcmp(kind, "topic") == 0) {
    put_be32(b, 5);
    memcpy(b + 4, "other", 5);
    put_be32(b + 9, 3);
    memcpy(b + 13, "abc", 3);
    send_all(fd, b, 16);
    good_after(fd);
  } else if (strcmp(kind, "partial") == 0 && argc > 0) {
    uint8_t h[XT_FRAME_HEADER_LEN];
    send_all(fd, h, xt_frame_header(h, 1000));
    send_all(fd, "partial", 7);
    sleep((unsigned)atoi(argv[0]));
  } else {
    fprintf(stderr, "publisher: unknown mode %s\n", kind);
    return 2;
  }
  /* Wait for the server to close (absurd) or read our reports, then leave. */
  shutdown(fd, SHUT_WR);
  char sink[16];
  while (recv(fd, sink, sizeof sink, 0) > 0) {
  }
  close(fd);
  return 0;
}

static int idle(int n, int seconds) {
  int *fds = calloc((size_t)n, sizeof *fds);
  for (int i = 0; i < n; i++) fds[i] = connect_addr();
  printf("ready\n");
  fflush(stdout);
  sleep((unsigned)seconds);
  for (int i = 0; i < n; i++) close(fds[i]);
  free(fds);
  return 0;
}

/* One large frame, sent slowly: what a publisher on a congested link, or a
 * hostile one, looks like to the server. */
static int drip(int64_t task, long size, long chunk, long period_ms) {
  if (size <= 0 || size > (long)XT_FRAME_MAX_MESSAGE - 4096 || period_ms < 0 || (period_ms && chunk <= 0)) {
    fprintf(stderr, "publisher: drip needs 0 < SIZE <= 1 MiB - 4096, PERIOD_MS >= 0, CHUNK > 0 if PERIOD_MS > 0\n");
    return 2;
  }
  char *label = malloc((size_t)size + 1);
  uint8_t *buf = malloc((size_t)size + 4096);
  if (!label || !buf) return 1;
  memset(label, 'x', (size_t)size);
  label[size] = 0;
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  r.has_task_id = r.has_event_id = r.has_timestamp = r.has_process_id = 1;
  r.task_id = task;
  r.event_id = 1;
  r.timestamp = 1700000000000000;
  r.host = "h";
  r.process_id = 1;
  r.label = label;
  size_t n = frame_report(buf, &r);
  int fd = connect_addr(), one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (size_t off = 0; off < n;) {
    size_t k = period_ms && (size_t)chunk < n - off ? (size_t)chunk : n - off;
    send_all(fd, buf + off, k);
    off += k;
    if (period_ms && off < n) {
      struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000};
      while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
      }
    }
  }
  close(fd);
  free(label);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: publisher HOST:PORT MODE [ARGS]\n");
    return 2;
  }
  addr = argv[1];
  const char *mode = argv[2];
  if (strcmp(mode, "scenario") == 0) return scenario();
  if (strcmp(mode, "bench") == 0 && argc > 3) return bench(atol(argv[3]));
  if (strcmp(mode, "trickle") == 0 && argc > 5) return trickle(atol(argv[3]), atol(argv[4]), atol(argv[5]));
  if (strcmp(mode, "idle") == 0 && argc > 4) return idle(atoi(argv[3]), atoi(argv[4]));
  if (strcmp(mode, "drip") == 0 && argc > 6)
    return drip((int64_t)strtoull(argv[3], NULL, 16), atol(argv[4]), atol(argv[5]), atol(argv[6]));
  if (strcmp(mode, "huge") == 0 && argc > 4) return huge((int64_t)strtoull(argv[3], NULL, 16), atol(argv[4]));
  if (strcmp(mode, "one") == 0 && argc > 4) {
    int fd = connect_addr();
    spec s = {(int64_t)strtoull(argv[3], NULL, 16), 7, {0}, 0, 1700000000000000, "h", "p", argv[4], 1, 1,
              NULL, NULL, NULL};
    send_spec(fd, &s);
    close(fd);
    return 0;
  }
  return hostile(mode, argc - 3, argv + 3);
}
