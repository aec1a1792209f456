#include "taskiter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "log.h"
#include "rowbin.h"

/* A task's reports are spread over chunks (one per commit, chunk.h), each in
 * arrival order and each knowing its earliest time (`first`). The walk is a
 * merge: chunks are opened in order of their earliest time, and a chunk is
 * opened only once the next report due could come from it, so what is held
 * in memory is the chunks whose times overlap the current one: for reports
 * that arrive roughly in time order, one or two chunks (each at most
 * XT_CHUNK_MAX_BYTES), however long the task. Ties in time keep arrival
 * order: chunk rowid, then position in the chunk, which is the order the
 * whole-task sort used before.
 *
 * Chunks can overlap much more: a host whose clock is an hour behind puts
 * an hour-old time into every chunk of its commits, and then every chunk of
 * that hour is open at once. So the bytes of open chunks are bounded
 * (DATA_BUDGET): past it, the bytes of the chunks whose next report is due
 * last are dropped, keeping only their index (time, place and length of
 * each report: 24 bytes a report), and read again when their turn comes. */

#define DATA_BUDGET (16u << 20)

typedef struct entry {
  int64_t ts;
  uint32_t off, len, idx;
} entry;

typedef struct open_chunk {
  int64_t rowid;
  uint8_t *data; /* NULL while dropped for the budget */
  size_t bytes;
  entry *v;
  size_t n, at;
} open_chunk;

struct xt__task_iter {
  sqlite3 *db;
  int64_t total, version;
  struct listed {
    int64_t rowid, first;
  } *list;                /* the task's chunks, earliest time first */
  size_t nlist, next;     /* list[next] is the first not opened yet */
  open_chunk **heap;      /* min-heap on (time of the chunk's next report, rowid) */
  size_t nheap, capheap;
  open_chunk *retired;    /* the chunk of the report last returned, freed on the next call */
  size_t held;            /* bytes of the open chunks' data */
  xt__task_pager pager;   /* or pages of rows read from another store */
  uint8_t *rows;          /* the page in hand */
  xt__rb at;              /* the next of its rows */
  uint64_t prev[3];       /* (time, seq, event) of the row last walked */
  int walked;             /* a row was walked */
  int64_t left;           /* rows of the counted total not walked yet */
};

static void free_chunk(open_chunk *c) {
  if (!c) return;
  free(c->data);
  free(c->v);
  free(c);
}

static int by_time_then_position(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int before(const open_chunk *a, const open_chunk *b) {
  int64_t x = a->v[a->at].ts, y = b->v[b->at].ts;
  return x != y ? x < y : a->rowid < b->rowid;
}

static void sift_down(xt__task_iter *it, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < it->nheap && before(it->heap[l], it->heap[m])) m = l;
    if (r < it->nheap && before(it->heap[r], it->heap[m])) m = r;
    if (m == i) return;
    open_chunk *t = it->heap[i];
    it->heap[i] = it->heap[m];
    it->heap[m] = t;
    i = m;
  }
}

static int push(xt__task_iter *it, open_chunk *c) {
  if (it->nheap == it->capheap) {
    size_t cap = it->capheap ? it->capheap * 2 : 16;
    open_chunk **h = realloc(it->heap, cap * sizeof *h);
    if (!h) return -ENOMEM;
    it->heap = h;
    it->capheap = cap;
  }
  size_t i = it->nheap++;
  it->heap[i] = c;
  while (i && before(it->heap[i], it->heap[(i - 1) / 2])) {
    open_chunk *t = it->heap[i];
    it->heap[i] = it->heap[(i - 1) / 2];
    it->heap[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
  return 0;
}

/* Reads a chunk's bytes. Incremental blob I/O reads its pages straight into
 * our buffer; a column read would first assemble a second copy of it. */
static int read_bytes(xt__task_iter *it, int64_t rowid, uint8_t **out, size_t *n) {
  sqlite3_blob *blob;
  *out = NULL;
  if (sqlite3_blob_open(it->db, "main", "chunks", "data", rowid, 0, &blob) != SQLITE_OK) return -EIO;
  *n = (size_t)sqlite3_blob_bytes(blob);
  uint8_t *p = *n ? malloc(*n) : NULL;
  int rc = *n && !p ? SQLITE_NOMEM : *n ? sqlite3_blob_read(blob, p, (int)*n, 0) : SQLITE_OK;
  sqlite3_blob_close(blob);
  if (rc != SQLITE_OK) {
    free(p);
    return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
  }
  *out = p;
  return 0;
}

/* Reads a chunk and its index, sorted by time (then position, so equal
 * times keep their arrival order). Returns NULL in *out for an empty chunk. */
static int load_chunk(xt__task_iter *it, int64_t rowid, open_chunk **out) {
  *out = NULL;
  open_chunk *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  int err = read_bytes(it, rowid, &c->data, &c->bytes);
  if (err || !c->bytes) {
    free_chunk(c);
    return err;
  }
  c->rowid = rowid;
  size_t cap = 0;
  const uint8_t *p = c->data;
  size_t left = c->bytes;
  long k;
  int64_t ts;
  const uint8_t *raw;
  uint32_t rl;
  while ((k = xt__chunk_next(p, left, &ts, &raw, &rl)) > 0) {
    if (c->n == cap) {
      cap = cap ? cap * 2 : 64;
      entry *v = realloc(c->v, cap * sizeof *v);
      if (!v) {
        free_chunk(c);
        return -ENOMEM;
      }
      c->v = v;
    }
    c->v[c->n] = (entry){ts, (uint32_t)(raw - c->data), rl, (uint32_t)c->n};
    c->n++;
    p += k;
    left -= (size_t)k;
  }
  if (k < 0) {
    free_chunk(c);
    return -EIO;
  }
  if (c->n == 0) {
    free_chunk(c);
    return 0;
  }
  /* Usually in order already (reports of a task arrive in time order). */
  size_t i = 1;
  while (i < c->n && c->v[i - 1].ts <= c->v[i].ts) i++;
  if (i < c->n) qsort(c->v, c->n, sizeof *c->v, by_time_then_position);
  it->held += c->bytes;
  *out = c;
  return 0;
}

/* Drops the bytes of the open chunks whose next report is due last until
 * the budget holds again; the chunk at the top keeps its bytes. */
static void keep_budget(xt__task_iter *it) {
  while (it->held > DATA_BUDGET) {
    open_chunk *victim = NULL;
    for (size_t i = 1; i < it->nheap; i++) {
      open_chunk *c = it->heap[i];
      if (c->data && (!victim || before(victim, c))) victim = c;
    }
    if (!victim) return;
    free(victim->data);
    victim->data = NULL;
    it->held -= victim->bytes;
  }
}

/* Reads the task's chunks (rowid and earliest time, 16 bytes each: a chunk
 * holds a commit's reports of the task, dozens as a rule), its count and its
 * version. */
static int read_list(xt__task_iter *it, int64_t task) {
  sqlite3_stmt *st = NULL;
  /* The list carries no data, so the sort SQLite does for ORDER BY holds
   * two integers per chunk, not the task. */
  if (sqlite3_prepare_v2(it->db, "SELECT rowid, first FROM chunks WHERE task = ?1 ORDER BY first, rowid", -1, &st,
                         NULL) != SQLITE_OK)
    return -EIO;
  sqlite3_bind_int64(st, 1, task);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (it->nlist == cap) {
      cap = cap ? cap * 2 : 64;
      struct listed *l = realloc(it->list, cap * sizeof *l);
      if (!l) {
        sqlite3_finalize(st);
        return -ENOMEM;
      }
      it->list = l;
    }
    it->list[it->nlist++] = (struct listed){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return -EIO;
  if (sqlite3_prepare_v2(it->db, "SELECT coalesce(sum(n), 0), coalesce(max(rowid), 0) FROM chunks WHERE task = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return -EIO;
  sqlite3_bind_int64(st, 1, task);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) it->total = sqlite3_column_int64(st, 0), it->version = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -EIO;
}

/* The list and the count are read in one short transaction, and each chunk
 * later in a read of its own: a slow client holds no read transaction open,
 * which would keep SQLite from checkpointing the WAL for as long as it
 * reads. Chunks are never changed once written, so the walk still sees the
 * task as it was at the start (reports committed since are not in it); one
 * deleted meanwhile (retention) ends the walk with an error. */
int xt__task_iter_open(sqlite3 *db, int64_t task, xt__task_iter **out) {
  xt__task_iter *it = calloc(1, sizeof *it);
  if (!it) return -ENOMEM;
  it->db = db;
  int own = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
  int err = read_list(it, task);
  if (own) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (err) {
    xt__log("http", "task walk: %s", sqlite3_errmsg(db));
    xt__task_iter_close(it);
    return err;
  }
  *out = it;
  return 0;
}

/* The next row that is not a copy of the one before: 1, 0 at the end, -EIO. */
static int next_row(xt__rb *r, uint64_t prev[3], int *walked, int64_t *ts, const uint8_t **raw, uint32_t *len) {
  while (r->p < r->end) {
    uint64_t key[3]; /* one at a time: an initializer's order is unspecified */
    key[0] = xt__rb_u64(r);
    key[1] = xt__rb_u64(r);
    key[2] = xt__rb_u64(r);
    size_t n;
    const char *s = xt__rb_str(r, &n);
    if (r->bad || n > UINT32_MAX) return -EIO;
    if (*walked && memcmp(key, prev, sizeof key) == 0) continue;
    memcpy(prev, key, sizeof key);
    *walked = 1;
    *ts = (int64_t)key[0];
    *raw = (const uint8_t *)s;
    *len = (uint32_t)n;
    return 1;
  }
  return 0;
}

int xt__task_iter_paged(const xt__task_pager *pg, int64_t total, int64_t version, xt__task_iter **out) {
  xt__task_iter *it = calloc(1, sizeof *it);
  if (!it) {
    if (pg->close) pg->close(pg->arg);
    return -ENOMEM;
  }
  it->pager = *pg;
  it->total = it->left = total;
  it->version = version;
  *out = it;
  return 0;
}

/* The next row of a paged walk, reading the next page when this one is
 * done. The page before is freed only here, on the call after its last row
 * was returned, which the caller may still have been reading. */
static int next_paged(xt__task_iter *it, int64_t *ts, const uint8_t **raw, uint32_t *len) {
  for (;;) {
    if (it->left <= 0) return 0;
    int rc = it->rows ? next_row(&it->at, it->prev, &it->walked, ts, raw, len) : 0;
    if (rc == 1) it->left--;
    if (rc != 0) return rc;
    free(it->rows);
    it->rows = NULL;
    uint8_t *rows = NULL;
    size_t n = 0;
    rc = it->pager.fetch(it->pager.arg, it->walked ? it->prev : NULL, &rows, &n);
    if (rc < 0) {
      free(rows);
      return rc;
    }
    if (!rows || n == 0) {
      free(rows);
      return 0;
    }
    it->rows = rows;
    it->at = (xt__rb){rows, rows + n, 0};
  }
}

int64_t xt__task_iter_total(const xt__task_iter *it) { return it->total; }

/* Chunks are only ever added to a task (or the task deleted whole), and a
 * new chunk's rowid is above every earlier one of the task: the newest
 * rowid with the count changes whenever the task does. */
int64_t xt__task_iter_version(const xt__task_iter *it) { return it->version; }

int xt__task_iter_next(xt__task_iter *it, int64_t *ts, const uint8_t **raw, uint32_t *len) {
  if (it->pager.fetch) return next_paged(it, ts, raw, len);
  free_chunk(it->retired);
  it->retired = NULL;
  /* Open every chunk that may hold a report due before the earliest one in
   * hand: its earliest time is at most that report's (equal times may come
   * from a chunk that arrived earlier, so they are opened too). */
  while (it->next < it->nlist &&
         (it->nheap == 0 || it->list[it->next].first <= it->heap[0]->v[it->heap[0]->at].ts)) {
    open_chunk *c;
    int err = load_chunk(it, it->list[it->next++].rowid, &c);
    if (!err && c) err = push(it, c);
    if (err) {
      if (c) it->held -= c->bytes;
      free_chunk(c);
      return err;
    }
    keep_budget(it);
  }
  if (it->nheap == 0) return 0;
  open_chunk *top = it->heap[0];
  if (!top->data) {
    /* The chunk's turn has come again after its bytes were dropped. */
    int err = read_bytes(it, top->rowid, &top->data, &top->bytes);
    if (err) return err;
    it->held += top->bytes;
    keep_budget(it);
  }
  const entry *e = &top->v[top->at++];
  *ts = e->ts;
  *raw = top->data + e->off;
  *len = e->len;
  if (top->at == top->n) {
    /* Its bytes stay until the next call, which the caller may still read. */
    it->retired = top;
    it->held -= top->bytes;
    it->heap[0] = it->heap[--it->nheap];
  }
  if (it->nheap) sift_down(it, 0);
  return 1;
}

void xt__task_iter_close(xt__task_iter *it) {
  if (!it) return;
  free(it->list);
  for (size_t i = 0; i < it->nheap; i++) free_chunk(it->heap[i]);
  free(it->heap);
  free_chunk(it->retired);
  free(it->rows);
  if (it->pager.close) it->pager.close(it->pager.arg);
  free(it);
}
