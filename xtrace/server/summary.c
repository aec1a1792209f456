#include "summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "json.h"
#include "log.h"

/* Distinct processes and tags remembered per task per transaction; past this
 * they are written straight away (INSERT OR IGNORE is idempotent anyway). */
#define KEEP 8

typedef struct proc {
  const char *host, *name;
  int32_t pid;
} proc;

typedef struct agg {
  int64_t task, first, last;
  const char *title;
  int64_t count;
  proc procs[KEEP];
  const char *tags[KEEP];
  int nprocs, ntags;
  int procs_changed; /* a new (host, pid) was stored: recount */
  xt__buf data, labels; /* the chunk being built, and its labels joined by \n */
  int64_t chunk_n, chunk_first;
} agg;

struct xt__summary {
  sqlite3 *db;
  sqlite3_stmt *upsert, *add_proc, *add_tag, *recount, *add_chunk;
  agg *aggs;
  size_t n, cap;
  size_t ninit; /* aggs[0..ninit) own chunk buffers, reused across commits */
  int32_t *slots; /* open addressing over aggs, -1 empty */
  size_t nslots;
  int64_t *ids;
};

static const char *str(const char *s) { return s ? s : ""; }

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK) return 0;
  xt__log("store", "prepare %s: %s", sql, sqlite3_errmsg(db));
  return -EIO;
}

int xt__summary_new(xt__summary **out, sqlite3 *db) {
  xt__summary *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  s->db = db;
  if (prep(db,
           "INSERT INTO tasks(id, title, first, last, reports, processes, hosts)"
           " VALUES(?1, ?2, ?3, ?4, ?5, 0, 0) ON CONFLICT(id) DO UPDATE SET"
           " title = CASE WHEN excluded.first < tasks.first THEN excluded.title ELSE tasks.title END,"
           " first = min(tasks.first, excluded.first), last = max(tasks.last, excluded.last),"
           " reports = tasks.reports + excluded.reports",
           &s->upsert) < 0 ||
      prep(db, "INSERT OR IGNORE INTO task_procs(task, host, pid, name) VALUES(?1, ?2, ?3, ?4)",
           &s->add_proc) < 0 ||
      prep(db, "INSERT OR IGNORE INTO task_tags(task, tag) VALUES(?1, ?2)", &s->add_tag) < 0 ||
      /* A report without Host (a client that does not send it, such as a
       * Go one beside the preload on the same machine) is not another
       * host, one without ProcessID not another process, and one without
       * Host whose PID was seen with a Host is that process. A task has at
       * least one of each, if unknown. */
      prep(db,
           "UPDATE tasks SET processes = max(1, (SELECT count(*) FROM task_procs p WHERE p.task = ?1"
           " AND p.pid <> 0 AND (p.host <> '' OR NOT EXISTS(SELECT 1 FROM task_procs q"
           " WHERE q.task = ?1 AND q.pid = p.pid AND q.host <> '')))),"
           " hosts = max(1, (SELECT count(DISTINCT host) FROM task_procs WHERE task = ?1 AND host <> ''))"
           " WHERE id = ?1",
           &s->recount) < 0 ||
      /* Above every rowid the search index has seen, even if the last
       * chunks were deleted (search.c says why). */
      prep(db,
           "INSERT INTO chunks(rowid, task, first, n, labels, data) VALUES(max(coalesce((SELECT max(rowid)"
           " FROM chunks), 0), (SELECT indexed FROM fts_state)) + 1, ?1, ?2, ?3, ?4, ?5)",
           &s->add_chunk) < 0) {
    xt__summary_free(s);
    return -EIO;
  }
  *out = s;
  return 0;
}

void xt__summary_free(xt__summary *s) {
  if (!s) return;
  sqlite3_finalize(s->upsert);
  sqlite3_finalize(s->add_proc);
  sqlite3_finalize(s->add_tag);
  sqlite3_finalize(s->recount);
  sqlite3_finalize(s->add_chunk);
  for (size_t i = 0; i < s->ninit; i++) {
    xt__buf_free(&s->aggs[i].data);
    xt__buf_free(&s->aggs[i].labels);
  }
  free(s->aggs);
  free(s->slots);
  free(s->ids);
  free(s);
}

void xt__summary_reset(xt__summary *s) {
  s->n = 0;
  if (s->slots) memset(s->slots, 0xff, s->nslots * sizeof *s->slots);
}

static size_t slot_of(int64_t task, size_t nslots) {
  uint64_t h = (uint64_t)task * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 32) & (nslots - 1);
}

/* Grows the table at half load so probes stay short. */
static int rehash(xt__summary *s) {
  size_t nslots = s->nslots ? s->nslots * 2 : 1024;
  int32_t *slots = malloc(nslots * sizeof *slots);
  if (!slots) return -ENOMEM;
  memset(slots, 0xff, nslots * sizeof *slots);
  for (size_t i = 0; i < s->n; i++) {
    size_t k = slot_of(s->aggs[i].task, nslots);
    while (slots[k] >= 0) k = (k + 1) & (nslots - 1);
    slots[k] = (int32_t)i;
  }
  free(s->slots);
  s->slots = slots;
  s->nslots = nslots;
  return 0;
}

static agg *find(xt__summary *s, int64_t task) {
  if ((s->n + 1) * 2 > s->nslots && rehash(s) < 0) return NULL;
  size_t k = slot_of(task, s->nslots);
  while (s->slots[k] >= 0) {
    agg *a = &s->aggs[s->slots[k]];
    if (a->task == task) return a;
    k = (k + 1) & (s->nslots - 1);
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    agg *p = realloc(s->aggs, cap * sizeof *p);
    if (!p) return NULL;
    s->aggs = p;
    s->cap = cap;
  }
  agg *a = &s->aggs[s->n];
  xt__buf data, labels;
  if (s->n < s->ninit) {
    data = a->data, labels = a->labels;
    data.len = labels.len = 0;
  } else {
    xt__buf_init(&data);
    xt__buf_init(&labels);
    s->ninit++;
  }
  memset(a, 0, sizeof *a);
  a->data = data, a->labels = labels;
  a->task = task;
  a->first = INT64_MAX;
  a->last = INT64_MIN;
  s->slots[k] = (int32_t)s->n++;
  return a;
}

static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : -EIO;
}

static int store_proc(xt__summary *s, agg *a, const proc *p) {
  sqlite3_stmt *st = s->add_proc;
  sqlite3_bind_int64(st, 1, a->task);
  sqlite3_bind_text(st, 2, p->host, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, p->pid);
  sqlite3_bind_text(st, 4, p->name, -1, SQLITE_STATIC);
  if (run(st) < 0) return -EIO;
  if (sqlite3_changes(s->db) > 0) a->procs_changed = 1;
  return 0;
}

static int store_tag(xt__summary *s, agg *a, const char *tag) {
  sqlite3_bind_int64(s->add_tag, 1, a->task);
  sqlite3_bind_text(s->add_tag, 2, tag, -1, SQLITE_STATIC);
  return run(s->add_tag);
}

static int add_proc(xt__summary *s, agg *a, const Pubsub__XTraceReportv4 *m) {
  proc p = {str(m->host), str(m->process_name), m->process_id};
  for (int i = 0; i < a->nprocs; i++)
    if (a->procs[i].pid == p.pid && strcmp(a->procs[i].host, p.host) == 0) return 0;
  if (a->nprocs < KEEP) {
    a->procs[a->nprocs++] = p;
    return 0;
  }
  return store_proc(s, a, &p);
}

static int add_tag(xt__summary *s, agg *a, const char *tag) {
  for (int i = 0; i < a->ntags; i++)
    if (strcmp(a->tags[i], tag) == 0) return 0;
  if (a->ntags < KEEP) {
    a->tags[a->ntags++] = tag;
    return 0;
  }
  return store_tag(s, a, tag);
}

static int write_chunk(xt__summary *s, agg *a) {
  if (a->chunk_n == 0) return 0;
  if (a->data.oom || a->labels.oom) return -ENOMEM;
  sqlite3_stmt *st = s->add_chunk;
  sqlite3_bind_int64(st, 1, a->task);
  sqlite3_bind_int64(st, 2, a->chunk_first);
  sqlite3_bind_int64(st, 3, a->chunk_n);
  sqlite3_bind_text(st, 4, a->labels.data, (int)a->labels.len, SQLITE_STATIC);
  sqlite3_bind_blob(st, 5, a->data.data, (int)a->data.len, SQLITE_STATIC);
  int rc = run(st);
  a->data.len = a->labels.len = 0;
  a->chunk_n = 0;
  return rc;
}

int xt__summary_add(xt__summary *s, const Pubsub__XTraceReportv4 *m, int64_t ts_us, const uint8_t *raw,
                    size_t len) {
  agg *a = find(s, m->task_id);
  if (!a) return -ENOMEM;
  a->count++;
  if (a->chunk_n == 0 || ts_us < a->chunk_first) a->chunk_first = ts_us;
  a->chunk_n++;
  xt__chunk_put(&a->data, ts_us, raw, (uint32_t)len);
  if (a->labels.len) xt__buf_putc(&a->labels, '\n');
  xt__buf_puts(&a->labels, str(m->label));
  if (a->data.len >= XT_CHUNK_MAX_BYTES && write_chunk(s, a) < 0) return -EIO;
  /* The title is the label of the earliest report; on a tie the one that
   * arrived first keeps it. */
  if (ts_us < a->first) {
    a->first = ts_us;
    a->title = str(m->label);
  }
  if (ts_us > a->last) a->last = ts_us;
  if (add_proc(s, a, m) < 0) return -EIO;
  for (size_t i = 0; i < m->n_tags; i++)
    if (m->tags[i] && add_tag(s, a, m->tags[i]) < 0) return -EIO;
  return 0;
}

static int flush_one(xt__summary *s, agg *a) {
  if (write_chunk(s, a) < 0) return -EIO;
  sqlite3_stmt *st = s->upsert;
  sqlite3_bind_int64(st, 1, a->task);
  sqlite3_bind_text(st, 2, a->title, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, a->first);
  sqlite3_bind_int64(st, 4, a->last);
  sqlite3_bind_int64(st, 5, a->count);
  if (run(st) < 0) return -EIO;
  for (int i = 0; i < a->nprocs; i++)
    if (store_proc(s, a, &a->procs[i]) < 0) return -EIO;
  for (int i = 0; i < a->ntags; i++)
    if (store_tag(s, a, a->tags[i]) < 0) return -EIO;
  if (!a->procs_changed) return 0;
  sqlite3_bind_int64(s->recount, 1, a->task);
  return run(s->recount);
}

int xt__summary_flush(xt__summary *s) {
  int64_t *ids = realloc(s->ids, (s->n ? s->n : 1) * sizeof *ids);
  if (!ids) return -ENOMEM;
  s->ids = ids;
  for (size_t i = 0; i < s->n; i++) {
    if (flush_one(s, &s->aggs[i]) < 0) return -EIO;
    ids[i] = s->aggs[i].task;
  }
  return 0;
}

const int64_t *xt__summary_tasks(const xt__summary *s, size_t *n) {
  *n = s->n;
  return s->ids;
}
