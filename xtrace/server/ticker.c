#include "ticker.h"

#include <time.h>

void xt__ticker_init(xt__ticker *t) {
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  t->stop = 0;
}

void xt__ticker_destroy(xt__ticker *t) {
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
}

int xt__ticker_pause(xt__ticker *t, int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&t->mu);
  while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &ts) == 0) {
  }
  int stop = t->stop;
  pthread_mutex_unlock(&t->mu);
  return stop;
}

void xt__ticker_stop(xt__ticker *t) {
  pthread_mutex_lock(&t->mu);
  t->stop = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}
