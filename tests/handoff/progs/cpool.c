/* Numbered jobs submitted to a pool (libhopool) from several threads, each
 * logged by its submitter ("submit N") and by the worker that runs it
 * ("job N"); "result N" once the submitter has it back.
 *   cpool SUBMITTERS JOBS_EACH WORKERS SEED [run|serial|submit [PACE_US]]
 * run: each submitter waits for its job's result (a request served by a
 * pool); serial: the same, one request at a time (a plain mutex, which
 * the hand-off hooks do not see, is held from submission to result); submit:
 * fire and forget. PACE_US: a pause before each submission (requests that
 * arrive spaced out instead of back to back). A seeded amount of busy work before each
 * submission and in each job varies the interleavings reproducibly. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hopool.h"

static hopool *pool;
static int jobs_each, wait_result, serial;
static pthread_mutex_t token = PTHREAD_MUTEX_INITIALIZER;
static unsigned seed, pace_us;

static void spin(unsigned n) {
  for (volatile unsigned i = 0; i < n; i++) {
  }
}

typedef struct job_arg {
  int n;
  unsigned work;
} job_arg;

static void run_job(void *p) {
  job_arg *a = p;
  spin(a->work);
  fprintf(stderr, "job %d\n", a->n);
  if (!wait_result)
    free(a);
}

static void *submitter(void *p) {
  int id = (int)(long)p;
  unsigned r = seed * 7919u + (unsigned)id;
  for (int k = 0; k < jobs_each; k++) {
    int n = id * jobs_each + k;
    job_arg *a = malloc(sizeof *a);
    a->n = n;
    a->work = rand_r(&r) % 20000;
    spin(rand_r(&r) % 20000);
    if (pace_us)
      usleep(pace_us / 2 + rand_r(&r) % pace_us);
    if (serial)
      pthread_mutex_lock(&token);
    fprintf(stderr, "submit %d\n", n);
    if (wait_result) {
      hopool_run(pool, run_job, a);
      fprintf(stderr, "result %d\n", n);
      if (serial)
        pthread_mutex_unlock(&token);
      free(a);
    } else {
      hopool_submit(pool, run_job, a);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: cpool SUBMITTERS JOBS_EACH WORKERS SEED [run|submit]\n");
    return 2;
  }
  int nsub = atoi(argv[1]);
  jobs_each = atoi(argv[2]);
  int nwork = atoi(argv[3]);
  seed = (unsigned)atoi(argv[4]);
  wait_result = argc < 6 || strcmp(argv[5], "submit") != 0;
  serial = argc >= 6 && strcmp(argv[5], "serial") == 0;
  pace_us = argc >= 7 ? (unsigned)atoi(argv[6]) : 0;
  pool = hopool_new(nwork);
  pthread_t *t = calloc((size_t)nsub, sizeof *t);
  for (long i = 0; i < nsub; i++)
    pthread_create(&t[i], NULL, submitter, (void *)i);
  for (int i = 0; i < nsub; i++)
    pthread_join(t[i], NULL);
  hopool_free(pool);
  free(t);
  fprintf(stderr, "done\n");
  return 0;
}
