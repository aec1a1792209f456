/* A timer signal writes to stderr from its handler while the main loop
 * logs through stdio: the program must finish. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "tick from handler\n";
  write(2, msg, sizeof msg - 1);
  ticks++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 200}, {0, 200}};
  setitimer(ITIMER_REAL, &it, NULL);
  for (int i = 0; i < 20000 || ticks < 20; i++)
    fprintf(stderr, "main line %d\n", i);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("done %d\n", ticks > 0);
  return 0;
}
