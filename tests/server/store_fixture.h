/* The fixture of the store's unit tests: a fresh data directory with an
 * open store (its writer not started) and a read connection, removed after
 * each test. */
#ifndef XT_TESTS_STORE_FIXTURE_H
#define XT_TESTS_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "queue.h"
#include "store.h"

typedef struct fx {
  char dir[64];
  xt__queue q;
  xt__store *s;
  sqlite3 *db; /* a reader */
} fx;

static int setup(void **st) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/xtstore.XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  xt__queue_init(&f->q, 1 << 20);
  if (xt__store_open(&f->s, f->dir, &f->q) < 0) return -1;
  if (xt__db_open_read(f->dir, &f->db) < 0) return -1;
  *st = f;
  return 0;
}

static int teardown(void **st) {
  fx *f = *st;
  sqlite3_close(f->db);
  /* A test that started the writer and failed must not hang here. */
  xt__queue_close(&f->q);
  xt__store_free(f->s);
  xt__queue_destroy(&f->q);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

#endif
