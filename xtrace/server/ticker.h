/* What a background thread that wakes up every so often needs to be
 * stopped at once instead of at its next wake-up (retention, the live
 * stream's poll of ClickHouse). */
#ifndef XT_SERVER_TICKER_H
#define XT_SERVER_TICKER_H

#include <pthread.h>

typedef struct xt__ticker {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
} xt__ticker;

void xt__ticker_init(xt__ticker *t);
void xt__ticker_destroy(xt__ticker *t);
/* Sleeps ms unless stopped; returns 1 once stopped. */
int xt__ticker_pause(xt__ticker *t, int ms);
/* Ends every pause, now and from now on. */
void xt__ticker_stop(xt__ticker *t);

#endif
