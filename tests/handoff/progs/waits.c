/* Waits that were not satisfied by a wake-up, next to one that was. A helper
 * thread logs, then signals or posts; main waits. The order between them is
 * kept with a pipe, which the hand-off hooks do not follow:
 *   "early" + cond signal with nobody waiting, then main's timed wait on
 *   that condition times out: "after cond timeout";
 *   "sem helper", then main's sem_timedwait times out ("after sem timeout")
 *   and its sem_trywait fails ("after trywait");
 *   "posted" + sem_post, then main's sem_wait returns: "after sem_wait".
 * Each failing wait must leave errno as libc set it; the program says so
 * and exits 1 otherwise. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t s_idle, s_work;
static int to_main[2], to_helper[2];

static void step(int fd) {
  char b = 0;
  if (write(fd, &b, 1) != 1)
    _exit(3);
}
static void await(int fd) {
  char b;
  if (read(fd, &b, 1) != 1)
    _exit(3);
}

static void *helper(void *arg) {
  (void)arg;
  fprintf(stderr, "early\n");
  pthread_mutex_lock(&m);
  pthread_cond_signal(&c);
  pthread_mutex_unlock(&m);
  step(to_main[1]);
  await(to_helper[0]);
  fprintf(stderr, "sem helper\n");
  step(to_main[1]);
  await(to_helper[0]);
  fprintf(stderr, "posted\n");
  sem_post(&s_work);
  return NULL;
}

static struct timespec soon(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  ts.tv_nsec += 20 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  return ts;
}

int main(void) {
  int bad = 0;
  if (pipe(to_main) || pipe(to_helper))
    return 3;
  sem_init(&s_idle, 0, 0);
  sem_init(&s_work, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, helper, NULL);

  await(to_main[0]);
  pthread_mutex_lock(&m);
  struct timespec ts = soon(CLOCK_REALTIME);
  int rc = pthread_cond_timedwait(&c, &m, &ts);
  pthread_mutex_unlock(&m);
  if (rc != ETIMEDOUT) {
    fprintf(stderr, "cond timedwait returned %d\n", rc);
    bad = 1;
  }
  fprintf(stderr, "after cond timeout\n");

  step(to_helper[1]);
  await(to_main[0]);
  ts = soon(CLOCK_REALTIME);
  errno = 0;
  rc = sem_timedwait(&s_idle, &ts);
  if (rc != -1 || errno != ETIMEDOUT) {
    fprintf(stderr, "sem_timedwait: rc %d errno %d\n", rc, errno);
    bad = 1;
  }
  fprintf(stderr, "after sem timeout\n");
  errno = 0;
  rc = sem_trywait(&s_idle);
  if (rc != -1 || errno != EAGAIN) {
    fprintf(stderr, "sem_trywait: rc %d errno %d\n", rc, errno);
    bad = 1;
  }
  fprintf(stderr, "after trywait\n");

  step(to_helper[1]);
  errno = 1234;
  rc = sem_wait(&s_work);
  if (rc != 0 || errno != 1234) {
    fprintf(stderr, "sem_wait: rc %d errno %d\n", rc, errno);
    bad = 1;
  }
  fprintf(stderr, "after sem_wait\n");
  pthread_detach(t);
  return bad;
}
