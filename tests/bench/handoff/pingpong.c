/* Two threads passing a turn back and forth ROUNDS times, through a mutex
 * and a condition variable, then through two semaphores; then, on one
 * thread, 10 x ROUNDS pthread_cond_signal calls with nobody waiting and
 * sem_post + sem_wait pairs that never block (the hooks' own cost, without
 * the scheduler's), and uncontended lock + unlock pairs of a mutex no
 * condition is waited with (what every unlock of a program pays for the
 * unlock hook) and of the mutex this thread waited with (a consumer's
 * critical section with no deposit to take). Prints wall nanoseconds per
 * round trip, call or pair:
 * "cond NS sem NS signal NS sempair NS lock NS waitedlock NS". */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int turn;
static long rounds;
static sem_t ping, pong;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *cond_peer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  for (long i = 0; i < rounds; i++) {
    while (turn != 1)
      pthread_cond_wait(&c, &m);
    turn = 0;
    pthread_cond_signal(&c);
  }
  pthread_mutex_unlock(&m);
  return NULL;
}

static void *sem_peer(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    sem_wait(&ping);
    sem_post(&pong);
  }
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? atol(argv[1]) : 100000;
  pthread_t t;
  pthread_create(&t, NULL, cond_peer, NULL);
  double s = now();
  pthread_mutex_lock(&m);
  for (long i = 0; i < rounds; i++) {
    turn = 1;
    pthread_cond_signal(&c);
    while (turn != 0)
      pthread_cond_wait(&c, &m);
  }
  pthread_mutex_unlock(&m);
  double cond_ns = (now() - s) / rounds;
  pthread_join(t, NULL);

  sem_init(&ping, 0, 0);
  sem_init(&pong, 0, 0);
  pthread_create(&t, NULL, sem_peer, NULL);
  s = now();
  for (long i = 0; i < rounds; i++) {
    sem_post(&ping);
    sem_wait(&pong);
  }
  double sem_ns = (now() - s) / rounds;
  pthread_join(t, NULL);
  long calls = rounds * 10;
  s = now();
  for (long i = 0; i < calls; i++)
    pthread_cond_signal(&c);
  double signal_ns = (now() - s) / calls;
  s = now();
  for (long i = 0; i < calls; i++) {
    sem_post(&ping);
    sem_wait(&ping);
  }
  double pair_ns = (now() - s) / calls;
  s = now();
  for (long i = 0; i < calls; i++) {
    pthread_mutex_lock(&other);
    pthread_mutex_unlock(&other);
  }
  double lock_ns = (now() - s) / calls;
  s = now();
  for (long i = 0; i < calls; i++) {
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
  }
  double waited_ns = (now() - s) / calls;
  printf("cond %.0f sem %.0f signal %.1f sempair %.1f lock %.1f waitedlock %.1f\n", cond_ns,
         sem_ns, signal_ns, pair_ns, lock_ns, waited_ns);
  return 0;
}
