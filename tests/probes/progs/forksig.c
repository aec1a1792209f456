/* A probed function called from a forked child and from a signal handler:
 * the child's calls are its own events (in the task it inherits), and the
 * handler's call is recorded like any other on the interrupted thread. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

long plug_mul(long a, long b);

static volatile sig_atomic_t handled;

static void on_usr1(int sig) {
  (void)sig;
  handled = plug_mul(4, 5) == 20;
}

int main(void) {
  if (plug_mul(1, 2) != 2)
    return 1;
  pid_t pid = fork();
  if (pid < 0)
    return 1;
  if (pid == 0)
    _exit(plug_mul(2, 3) == 6 ? 0 : 1);
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return 1;
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  fprintf(stderr, "forksig done %d\n", (int)handled);
  return handled ? 0 : 1;
}
