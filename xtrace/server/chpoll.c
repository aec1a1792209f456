#include "chpoll.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "reader.h"
#include "rowbin.h"
#include "ticker.h"

#define POLL_MS 1000
/* One more than events.c announces one by one: past it, a reload. */
#define MAX_TASKS 129

struct xt__chpoll {
  const xt__ch_url *u;
  xt__events *e;
  pthread_t thread;
  xt__ticker tick;
};

/* Announces the tasks touched at or after since (seconds, the cluster's
 * clock). Returns 0 or a negative errno. */
static int poll_once(xt__chpoll *p, xt__reader *r, xt__ch *c, uint32_t since) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT task FROM %s.tasks GROUP BY task HAVING maxMerge(touched) >= %u"
           " ORDER BY minMerge(first) DESC LIMIT %d FORMAT RowBinary",
           p->u->db, since, MAX_TASKS);
  xt__buf ans;
  xt__buf_init(&ans);
  int rc = xt__ch_exec(c, sql, NULL, 0, &ans);
  int64_t tasks[MAX_TASKS];
  size_t n = 0;
  xt__rb rb = {(const uint8_t *)ans.data, (const uint8_t *)ans.data + ans.len, 0};
  while (rc == 0 && n < MAX_TASKS && rb.p < rb.end && !rb.bad) tasks[n++] = (int64_t)xt__rb_u64(&rb);
  xt__buf_free(&ans);
  if (rc == 0 && !rb.bad) xt__events_commit(p->e, r, tasks, n);
  return rc < 0 ? rc : rb.bad ? -EIO : 0;
}

/* The cluster's clock, in seconds, less one: the start of the next window. */
static int cluster_clock(xt__ch *c, uint32_t *out) {
  xt__buf ans;
  xt__buf_init(&ans);
  int rc = xt__ch_exec(c, "SELECT toUInt32(now()) FORMAT RowBinary", NULL, 0, &ans);
  if (rc == 0 && ans.len == 4) {
    xt__rb rb = {(const uint8_t *)ans.data, (const uint8_t *)ans.data + 4, 0};
    *out = (uint32_t)xt__rb_i32(&rb) - 1;
  } else if (rc == 0) {
    rc = -EIO;
  }
  xt__buf_free(&ans);
  return rc;
}

/* The window starts a second before the previous poll's clock reading, so
 * a report stored during a poll is still seen by the next one (at worst a
 * task is announced twice, which the UI takes as an update). */
static void *run(void *arg) {
  xt__chpoll *p = arg;
  pthread_setname_np(pthread_self(), "xt-chpoll");
  xt__reader r = {0};
  uint32_t since = 0;
  int failing = 0, listening = 0;
  while (!xt__ticker_pause(&p->tick, POLL_MS)) {
    if (xt__events_clients(p->e) == 0) {
      listening = 0;
      continue;
    }
    if (!r.ops && xt__chquery_open(p->u, &r) < 0) continue;
    /* A first client gets what changes from now on (it loads the list
     * itself); nothing is announced from before. */
    if (!listening && cluster_clock(xt__chquery_conn(&r), &since) == 0) listening = 1;
    if (!listening) continue;
    xt__ch *c = xt__chquery_conn(&r);
    uint32_t next = 0;
    int rc = cluster_clock(c, &next);
    if (rc == 0) rc = poll_once(p, &r, c, since);
    if (rc == 0) since = next;
    if (rc < 0 && !failing) xt__log("clickhouse", "polling for changed tasks: %s", xt__ch_error(c));
    failing = rc < 0;
  }
  xt__reader_close(&r);
  return NULL;
}

int xt__chpoll_start(xt__chpoll **out, const xt__ch_url *u, xt__events *e) {
  xt__chpoll *p = calloc(1, sizeof *p);
  if (!p) return -ENOMEM;
  p->u = u;
  p->e = e;
  xt__ticker_init(&p->tick);
  int rc = pthread_create(&p->thread, NULL, run, p);
  if (rc) {
    xt__ticker_destroy(&p->tick);
    free(p);
    return -rc;
  }
  *out = p;
  return 0;
}

void xt__chpoll_stop(xt__chpoll *p) {
  if (!p) return;
  xt__ticker_stop(&p->tick);
  pthread_join(p->thread, NULL);
  xt__ticker_destroy(&p->tick);
  free(p);
}
