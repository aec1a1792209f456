#include "hopool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
  struct job *next;
  hopool_fn fn;
  void *arg;
  int done;
  int waited;
  pthread_cond_t done_cond;
} job;

struct hopool {
  pthread_mutex_t m;
  pthread_cond_t work;  /* a job was queued, or stop */
  pthread_cond_t ready_cond;
  int ready;
  job *head, *tail;
  int stop, nworkers;
  pthread_t *threads;
};

static void *worker(void *arg) {
  hopool *p = arg;
  pthread_mutex_lock(&p->m);
  /* Still holding the lock when it waits for work: hopool_new returns only
   * once every worker is waiting. */
  p->ready++;
  pthread_cond_signal(&p->ready_cond);
  for (;;) {
    while (!p->head && !p->stop)
      pthread_cond_wait(&p->work, &p->m);
    if (!p->head)
      break;
    job *j = p->head;
    p->head = j->next;
    if (!p->head)
      p->tail = NULL;
    pthread_mutex_unlock(&p->m);
    j->fn(j->arg);
    pthread_mutex_lock(&p->m);
    if (j->waited) {
      j->done = 1;
      pthread_cond_signal(&j->done_cond);
    } else {
      free(j);
    }
  }
  pthread_mutex_unlock(&p->m);
  return NULL;
}

hopool *hopool_new(int workers) {
  hopool *p = calloc(1, sizeof *p);
  pthread_mutex_init(&p->m, NULL);
  pthread_cond_init(&p->work, NULL);
  p->nworkers = workers;
  p->threads = calloc((size_t)workers, sizeof *p->threads);
  pthread_cond_init(&p->ready_cond, NULL);
  for (int i = 0; i < workers; i++)
    pthread_create(&p->threads[i], NULL, worker, p);
  pthread_mutex_lock(&p->m);
  while (p->ready < workers)
    pthread_cond_wait(&p->ready_cond, &p->m);
  pthread_mutex_unlock(&p->m);
  return p;
}

static void enqueue(hopool *p, job *j) {
  j->next = NULL;
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  pthread_cond_signal(&p->work);
}

void hopool_run(hopool *p, hopool_fn fn, void *arg) {
  job j = {.fn = fn, .arg = arg, .waited = 1};
  pthread_cond_init(&j.done_cond, NULL);
  pthread_mutex_lock(&p->m);
  enqueue(p, &j);
  while (!j.done)
    pthread_cond_wait(&j.done_cond, &p->m);
  pthread_mutex_unlock(&p->m);
  pthread_cond_destroy(&j.done_cond);
}

void hopool_submit(hopool *p, hopool_fn fn, void *arg) {
  job *j = calloc(1, sizeof *j);
  j->fn = fn;
  j->arg = arg;
  pthread_mutex_lock(&p->m);
  enqueue(p, j);
  pthread_mutex_unlock(&p->m);
}

void hopool_free(hopool *p) {
  pthread_mutex_lock(&p->m);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->m);
  for (int i = 0; i < p->nworkers; i++)
    pthread_join(p->threads[i], NULL);
  free(p->threads);
  free(p);
}
