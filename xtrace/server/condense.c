#include "condense.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "peek.h"
#include "taskiter.h"
#include "viewcache.h"

#define MAX_PROGRAMS 8 /* distinct command lines listed per process (exec) */
#define PROBES 64      /* a lookup in the event table gives up after this many slots */
#define DEFERRED 65536 /* parents seen after their child, resolved at the end */
#define NONE UINT32_MAX

typedef struct program {
  char *name;
  uint32_t len;
  int64_t first, last, events;
} program;

typedef struct proc {
  char *host;
  uint32_t host_len;
  int32_t pid;
  int64_t events, first, last;
  program progs[MAX_PROGRAMS];
  int nprogs;
} proc;

typedef struct thread {
  uint32_t proc;
  int32_t tid;
  char *name;
  uint32_t name_len;
  int64_t events, first, last;
  int64_t last_id; /* the thread's latest event, the usual parent of its next */
  uint32_t last_seq;
  int has_last;
} thread;

typedef struct edge {
  uint32_t from, to; /* thread indices; from == NONE: empty slot */
  int64_t count;
} edge;

typedef struct deferred {
  uint32_t seq;
  int64_t parent;
} deferred;

typedef struct cond {
  proc *procs;
  thread *threads;
  uint32_t nprocs, nthreads;
  uint32_t proc_slots[2 * XT_CONDENSE_THREADS], thread_slots[2 * XT_CONDENSE_THREADS]; /* index + 1 */
  edge *edges;
  uint32_t nedges;
  /* The event table: the last `cap` events in a ring by sequence number,
   * found by ID through open addressing on seq + 1. A slot whose event has
   * left the ring is free for reuse. */
  uint32_t cap, nslots, nseq;
  int64_t *ids, *ts;
  uint32_t *thr, *pred, *slots;
  deferred *later;
  uint32_t nlater;
  int64_t reports, first, last, duplicates, unresolved, threads_omitted, edges_omitted;
  uint32_t last_seq;
} cond;

static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *s, uint32_t n, uint64_t h) {
  for (uint32_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
  return h;
}

static int same(const char *a, uint32_t an, const char *b, uint32_t bn) { return an == bn && !memcmp(a, b, an); }

static char *copy(const char *s, uint32_t n) {
  char *c = malloc(n + 1);
  if (c) {
    if (n) memcpy(c, s, n);
    c[n] = 0;
  }
  return c;
}

static uint32_t find_proc(cond *c, const xt__report_keys *k) {
  uint64_t h = mix(hash_bytes(k->host, k->host_len, 0xcbf29ce484222325u) ^ (uint32_t)k->process_id);
  uint32_t mask = 2 * XT_CONDENSE_THREADS - 1;
  for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
    uint32_t s = c->proc_slots[i];
    if (!s) {
      if (c->nprocs == XT_CONDENSE_THREADS) return NONE;
      proc *p = &c->procs[c->nprocs];
      memset(p, 0, sizeof *p);
      if (!(p->host = copy(k->host, k->host_len))) return NONE;
      p->host_len = k->host_len;
      p->pid = k->process_id;
      c->proc_slots[i] = ++c->nprocs;
      return c->nprocs - 1;
    }
    proc *p = &c->procs[s - 1];
    if (p->pid == k->process_id && same(p->host, p->host_len, k->host, k->host_len)) return s - 1;
  }
}

static uint32_t find_thread(cond *c, const xt__report_keys *k) {
  uint64_t h = mix(hash_bytes(k->host, k->host_len, 0x84222325cbf29ce4u) ^ (uint32_t)k->process_id ^
                   (uint64_t)(uint32_t)k->thread_id << 32);
  uint32_t mask = 2 * XT_CONDENSE_THREADS - 1;
  for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
    uint32_t s = c->thread_slots[i];
    if (!s) {
      if (c->nthreads == XT_CONDENSE_THREADS) return NONE;
      uint32_t p = find_proc(c, k);
      if (p == NONE) return NONE;
      thread *t = &c->threads[c->nthreads];
      memset(t, 0, sizeof *t);
      t->proc = p;
      t->tid = k->thread_id;
      c->thread_slots[i] = ++c->nthreads;
      return c->nthreads - 1;
    }
    thread *t = &c->threads[s - 1];
    proc *p = &c->procs[t->proc];
    if (t->tid == k->thread_id && p->pid == k->process_id && same(p->host, p->host_len, k->host, k->host_len))
      return s - 1;
  }
}

static void span(int64_t *events, int64_t *first, int64_t *last, int64_t ts) {
  if (!(*events)++ || ts < *first) *first = ts;
  if (ts > *last) *last = ts;
}

/* Counts the report in its thread, process and program (the command line it
 * carried: a process that called exec reports the new one from then on). */
static void count(cond *c, uint32_t t, const xt__report_keys *k, int64_t ts) {
  thread *th = &c->threads[t];
  proc *p = &c->procs[th->proc];
  span(&th->events, &th->first, &th->last, ts);
  span(&p->events, &p->first, &p->last, ts);
  if (!th->name && k->thread_name_len) {
    th->name = copy(k->thread_name, k->thread_name_len);
    th->name_len = th->name ? k->thread_name_len : 0;
  }
  const char *name = k->process_name ? k->process_name : "";
  int i = 0;
  while (i < p->nprogs && !same(p->progs[i].name, p->progs[i].len, name, k->process_name_len)) i++;
  if (i == p->nprogs && i < MAX_PROGRAMS && (p->progs[i].name = copy(name, k->process_name_len))) {
    p->progs[i].len = k->process_name_len;
    p->nprogs++;
  }
  if (i < p->nprogs) span(&p->progs[i].events, &p->progs[i].first, &p->progs[i].last, ts);
}

static void add_edge(cond *c, uint32_t from, uint32_t to) {
  if (from == to || from == NONE || to == NONE) return;
  uint32_t mask = 2 * XT_CONDENSE_EDGES - 1;
  for (uint32_t i = (uint32_t)mix((uint64_t)from << 32 | to) & mask;; i = (i + 1) & mask) {
    edge *e = &c->edges[i];
    if (e->from == from && e->to == to) {
      e->count++;
      return;
    }
    if (e->from == NONE) {
      if (c->nedges == XT_CONDENSE_EDGES) {
        c->edges_omitted++;
        return;
      }
      *e = (edge){from, to, 1};
      c->nedges++;
      return;
    }
  }
}

static int live(const cond *c, uint32_t seq) { return c->nseq - seq <= c->cap; }

static uint32_t lookup(const cond *c, int64_t id) {
  uint32_t mask = c->nslots - 1;
  uint32_t i = (uint32_t)mix((uint64_t)id) & mask;
  for (int n = 0; n < PROBES; n++, i = (i + 1) & mask) {
    uint32_t s = c->slots[i];
    if (!s) return NONE;
    uint32_t seq = s - 1;
    if (live(c, seq) && c->ids[seq & (c->cap - 1)] == id) return seq;
  }
  return NONE;
}

/* Finds the ID, or else puts seq in the first free or stale slot near its
 * home, in one pass over the slots (each probe is a cache miss on a table of
 * megabytes). Returns the sequence number of an earlier event with the ID,
 * or NONE when seq went in; with no slot in reach, the event is not
 * findable (its children count it unresolved). */
static uint32_t find_or_insert(cond *c, int64_t id, uint32_t seq) {
  uint32_t mask = c->nslots - 1, reuse = NONE;
  uint32_t i = (uint32_t)mix((uint64_t)id) & mask;
  for (int n = 0; n < PROBES; n++, i = (i + 1) & mask) {
    uint32_t s = c->slots[i];
    if (!s) {
      if (reuse == NONE) reuse = i;
      break;
    }
    if (!live(c, s - 1)) {
      if (reuse == NONE) reuse = i;
    } else if (c->ids[(s - 1) & (c->cap - 1)] == id) {
      return s - 1;
    }
  }
  if (reuse != NONE) c->slots[reuse] = seq + 1;
  return NONE;
}

/* The parent on the critical path is the one that happened latest; the
 * first of equals, as the UI picks it. */
static void consider_parent(cond *c, uint32_t seq, uint32_t q) {
  uint32_t at = seq & (c->cap - 1), best = c->pred[at];
  if (best == NONE || !live(c, best) || c->ts[q & (c->cap - 1)] > c->ts[best & (c->cap - 1)]) c->pred[at] = q;
}

static void add_event(cond *c, uint32_t t, const xt__report_keys *k, int64_t ts) {
  uint32_t seq = c->nseq;
  if (find_or_insert(c, k->event_id, seq) != NONE) {
    c->duplicates++;
    return;
  }
  uint32_t at = seq & (c->cap - 1);
  c->nseq++;
  c->ids[at] = k->event_id;
  c->ts[at] = ts;
  c->thr[at] = t;
  c->pred[at] = NONE;
  c->last_seq = seq;
  /* Most parents are the thread's own previous event: no table lookup. */
  thread *th = t == NONE ? NULL : &c->threads[t];
  int64_t prev_id = th && th->has_last ? th->last_id : 0;
  uint32_t prev_seq = th ? th->last_seq : NONE;
  if (th) th->last_id = k->event_id, th->last_seq = seq, th->has_last = 1;
  size_t n = k->n_parents < XT_PEEK_MAX_PARENTS ? k->n_parents : XT_PEEK_MAX_PARENTS;
  for (size_t i = 0; i < n; i++) {
    int64_t p = k->parents[i];
    if (p == 0 || p == k->event_id) continue;
    uint32_t q = p == prev_id && live(c, prev_seq) ? prev_seq : lookup(c, p);
    if (q != NONE) {
      add_edge(c, c->thr[q & (c->cap - 1)], t);
      consider_parent(c, seq, q);
    } else if (c->nlater < DEFERRED) {
      c->later[c->nlater++] = (deferred){seq, p};
    } else {
      c->unresolved++;
    }
  }
}

/* Parents whose own report came later in time than the child's (clocks of
 * two hosts disagree) are resolved once every event is in. */
static void resolve_later(cond *c) {
  for (uint32_t i = 0; i < c->nlater; i++) {
    deferred d = c->later[i];
    uint32_t q = live(c, d.seq) ? lookup(c, d.parent) : NONE;
    if (q == NONE) {
      c->unresolved++;
      continue;
    }
    add_edge(c, c->thr[q & (c->cap - 1)], c->thr[d.seq & (c->cap - 1)]);
    consider_parent(c, d.seq, q);
  }
}

static int walk(cond *c, xt__task_iter *it) {
  int64_t ts;
  const uint8_t *raw;
  uint32_t len;
  int rc;
  xt__report_keys k;
  while ((rc = xt__task_iter_next(it, &ts, &raw, &len)) == 1) {
    if (xt__report_peek(raw, len, &k) < 0) continue;
    if (!c->reports++ || ts < c->first) c->first = ts;
    if (ts > c->last) c->last = ts;
    uint32_t t = find_thread(c, &k);
    if (t == NONE) {
      c->threads_omitted++;
    } else {
      count(c, t, &k, ts);
    }
    if (c->nseq < UINT32_MAX - 1) add_event(c, t, &k, ts);
  }
  return rc;
}

typedef struct segment {
  uint32_t thread;
  int64_t events, first, last;
} segment;

static void json_index(xt__buf *out, uint32_t i) {
  if (i == NONE)
    xt__buf_puts(out, "-1");
  else
    xt__buf_printf(out, "%u", i);
}

/* Walks back from the last event along the latest parent, as the UI does
 * for a task it draws whole, and lists the path as runs on one thread. It
 * stops early (and says so) where the path leaves the event table, past
 * XT_CONDENSE_SEGMENTS runs, or after as many steps as there are events,
 * which only a cycle in bad data can need. */
static int critical_json(const cond *c, xt__buf *out) {
  segment *seg = malloc(XT_CONDENSE_SEGMENTS * sizeof *seg);
  if (!seg) return -ENOMEM;
  size_t nseg = 0;
  int64_t steps = 0;
  int truncated = 0;
  uint32_t limit = c->nseq < c->cap ? c->nseq : c->cap;
  for (uint32_t cur = c->last_seq; c->nseq;) {
    uint32_t at = cur & (c->cap - 1);
    int64_t ts = c->ts[at];
    if (!nseg || seg[nseg - 1].thread != c->thr[at]) {
      if (nseg == XT_CONDENSE_SEGMENTS) {
        truncated = 1;
        break;
      }
      seg[nseg++] = (segment){c->thr[at], 0, ts, ts};
    }
    segment *s = &seg[nseg - 1];
    s->events++;
    if (ts < s->first) s->first = ts;
    if (ts > s->last) s->last = ts;
    steps++;
    uint32_t p = c->pred[at];
    if (p == NONE) break;
    if (!live(c, p) || steps >= limit) {
      truncated = 1;
      break;
    }
    cur = p;
  }
  xt__buf_printf(out, "\"critical\":{\"events\":%lld,\"truncated\":%s,\"segments\":[", (long long)steps,
                 truncated ? "true" : "false");
  for (size_t i = 0; i < nseg; i++) {
    const segment *s = &seg[nseg - 1 - i];
    xt__buf_puts(out, i ? ",{\"thread\":" : "{\"thread\":");
    json_index(out, s->thread);
    xt__buf_printf(out, ",\"events\":%lld,\"first\":%lld,\"last\":%lld}", (long long)s->events, (long long)s->first,
                   (long long)s->last);
  }
  xt__buf_puts(out, "]}");
  free(seg);
  return 0;
}

static void span_json(xt__buf *out, int64_t events, int64_t first, int64_t last) {
  xt__buf_printf(out, "\"events\":%lld,\"first\":%lld,\"last\":%lld", (long long)events, (long long)first,
                 (long long)last);
}

static int by_threads(const void *a, const void *b) {
  const edge *x = a, *y = b;
  if (x->from != y->from) return x->from < y->from ? -1 : 1;
  return x->to < y->to ? -1 : x->to > y->to;
}

static int to_json(cond *c, int64_t task, xt__buf *out) {
  xt__buf_puts(out, "{\"id\":");
  xt__json_id_hex(out, task);
  xt__buf_printf(out, ",\"reports\":%lld,\"first\":%lld,\"last\":%lld,\"duplicates\":%lld,"
                      "\"unresolved_parents\":%lld,\"threads_omitted_reports\":%lld,\"edges_omitted\":%lld,"
                      "\"events_tracked\":%u,\"processes\":[",
                 (long long)c->reports, (long long)c->first, (long long)c->last, (long long)c->duplicates,
                 (long long)c->unresolved, (long long)c->threads_omitted, (long long)c->edges_omitted,
                 c->nseq < c->cap ? c->nseq : c->cap);
  for (uint32_t i = 0; i < c->nprocs; i++) {
    const proc *p = &c->procs[i];
    xt__buf_puts(out, i ? ",{\"host\":" : "{\"host\":");
    xt__json_str(out, p->host, p->host_len);
    xt__buf_printf(out, ",\"pid\":%d,", p->pid);
    span_json(out, p->events, p->first, p->last);
    xt__buf_puts(out, ",\"programs\":[");
    for (int j = 0; j < p->nprogs; j++) {
      xt__buf_puts(out, j ? ",{\"name\":" : "{\"name\":");
      xt__json_str(out, p->progs[j].name, p->progs[j].len);
      xt__buf_putc(out, ',');
      span_json(out, p->progs[j].events, p->progs[j].first, p->progs[j].last);
      xt__buf_putc(out, '}');
    }
    xt__buf_puts(out, "]}");
  }
  xt__buf_puts(out, "],\"threads\":[");
  for (uint32_t i = 0; i < c->nthreads; i++) {
    const thread *t = &c->threads[i];
    xt__buf_printf(out, "%s{\"process\":%u,\"tid\":%d,\"name\":", i ? "," : "", t->proc, t->tid);
    xt__json_str(out, t->name ? t->name : "", t->name_len);
    xt__buf_putc(out, ',');
    span_json(out, t->events, t->first, t->last);
    xt__buf_putc(out, '}');
  }
  xt__buf_puts(out, "],\"edges\":[");
  /* Packed to the front and sorted, so the answer does not depend on where
   * the hash put them. The table is not used after this. */
  uint32_t n = 0;
  for (uint32_t i = 0; i < 2 * XT_CONDENSE_EDGES; i++)
    if (c->edges[i].from != NONE) c->edges[n++] = c->edges[i];
  qsort(c->edges, n, sizeof *c->edges, by_threads);
  for (uint32_t i = 0; i < n; i++)
    xt__buf_printf(out, "%s{\"from\":%u,\"to\":%u,\"count\":%lld}", i ? "," : "", c->edges[i].from,
                   c->edges[i].to, (long long)c->edges[i].count);
  xt__buf_puts(out, "],");
  int err = critical_json(c, out);
  xt__buf_putc(out, '}');
  return err ? err : out->oom ? -ENOMEM : 0;
}

static void free_cond(cond *c) {
  for (uint32_t i = 0; i < c->nprocs; i++) {
    free(c->procs[i].host);
    for (int j = 0; j < c->procs[i].nprogs; j++) free(c->procs[i].progs[j].name);
  }
  for (uint32_t i = 0; i < c->nthreads; i++) free(c->threads[i].name);
  free(c->procs);
  free(c->threads);
  free(c->edges);
  free(c->ids);
  free(c->ts);
  free(c->thr);
  free(c->pred);
  free(c->slots);
  free(c->later);
  free(c);
}

/* One walk at a time: each holds up to ~44 MiB (the event table), so that
 * is what the server spends on condensed views however many clients ask at
 * once; a client asking for a task another one is walking then gets the
 * kept answer. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

static int walk_task(xt__task_iter *it, int64_t task, int64_t total, int64_t version, xt__buf *out) {
  int err = 0;
  cond *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  /* The event table is sized for the task, up to its bound; a power of two,
   * so that a sequence number's place in the ring is seq & (cap - 1). */
  c->cap = 16;
  while (c->cap < XT_CONDENSE_EVENTS && c->cap < total) c->cap *= 2;
  c->nslots = 2 * c->cap;
  c->procs = malloc(XT_CONDENSE_THREADS * sizeof *c->procs);
  c->threads = malloc(XT_CONDENSE_THREADS * sizeof *c->threads);
  c->edges = malloc(2 * XT_CONDENSE_EDGES * sizeof *c->edges);
  c->ids = malloc(c->cap * sizeof *c->ids);
  c->ts = malloc(c->cap * sizeof *c->ts);
  c->thr = malloc(c->cap * sizeof *c->thr);
  c->pred = malloc(c->cap * sizeof *c->pred);
  c->slots = calloc(c->nslots, sizeof *c->slots);
  c->later = malloc(DEFERRED * sizeof *c->later);
  if (!c->procs || !c->threads || !c->edges || !c->ids || !c->ts || !c->thr || !c->pred || !c->slots || !c->later)
    err = -ENOMEM;
  if (!err) {
    for (uint32_t i = 0; i < 2 * XT_CONDENSE_EDGES; i++) c->edges[i].from = NONE;
    err = walk(c, it);
  }
  size_t start = out->len;
  if (!err) {
    resolve_later(c);
    err = to_json(c, task, out);
  }
  free_cond(c);
  if (!err) xt__viewcache_put(task, total, version, out->data + start, out->len - start);
  return err;
}

int xt__condense_task(sqlite3 *db, int64_t task, xt__buf *out) {
  xt__task_iter *it;
  int err = xt__task_iter_open(db, task, &it);
  if (err) return err;
  int64_t total = xt__task_iter_total(it), version = xt__task_iter_version(it);
  if (xt__viewcache_get(task, total, version, out)) {
    xt__task_iter_close(it);
    return out->oom ? -ENOMEM : 0;
  }
  pthread_mutex_lock(&walk_lock);
  if (xt__viewcache_get(task, total, version, out)) {
    pthread_mutex_unlock(&walk_lock);
    xt__task_iter_close(it);
    return out->oom ? -ENOMEM : 0;
  }
  err = walk_task(it, task, total, version, out);
  pthread_mutex_unlock(&walk_lock);
  xt__task_iter_close(it);
  return err;
}
