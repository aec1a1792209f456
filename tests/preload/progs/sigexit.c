/* Workers that leave through _exit(0) from a SIGTERM handler, each killed in
 * turn: every one must exit 0. Whatever _exit runs in the handler may find
 * the allocator's lock held by the code it interrupted.
 *
 *   sigexit N churn   workers loop on malloc/free (two threads each)
 *   sigexit N held    workers are killed while malloc_stats() holds the
 *                     main arena's lock, blocked writing to a full pipe:
 *                     a handler that allocates deadlocks every time */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

/* Sizes past the thread cache and below the mmap threshold, so that most of
 * the time goes to the arena, under its lock. */
static void churn(int ready_fd) {
  void *held[16] = {0};
  unsigned x = (unsigned)getpid();
  for (long i = 0;; i++) {
    x = x * 1103515245u + 12345u;
    size_t k = (x >> 8) % 16;
    free(held[k]);
    held[k] = malloc(2048 + (x >> 12) % 60000);
    if (i == 1000 && ready_fd >= 0) {
      (void)!write(ready_fd, "r", 1);
      close(ready_fd);
    }
  }
}

/* The second thread: with it the allocator takes its locks. SIGTERM goes
 * to the main thread. */
static void *churn_thread(void *arg) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  if (arg)
    churn(-1);
  for (;;)
    pause();
  return NULL;
}

static void hold_arena_lock(int ready_fd) {
  int q[2];
  char junk[4096];
  memset(junk, 'x', sizeof junk);
  if (pipe(q) != 0)
    _exit(3);
  fcntl(q[1], F_SETFL, O_NONBLOCK);
  while (write(q[1], junk, sizeof junk) > 0)
    ;
  fcntl(q[1], F_SETFL, 0);
  dup2(q[1], 2);
  (void)!write(ready_fd, "r", 1);
  close(ready_fd);
  malloc_stats(); /* locks main_arena, then blocks in fprintf(stderr) */
  _exit(4);
}

/* True once pid's main thread sits in write(2, ...): malloc_stats's. */
static int in_write(pid_t pid) {
  char path[64], buf[64];
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  int nr = -1;
  unsigned long fd = 0;
  if (fgets(buf, sizeof buf, f) && sscanf(buf, "%d 0x%lx", &nr, &fd) != 2)
    nr = -1;
  fclose(f);
  return nr == 1 && fd == 2;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int held = argc > 2 && strcmp(argv[2], "held") == 0;
  for (int i = 0; i < n; i++) {
    int p[2];
    if (pipe(p) != 0)
      return 2;
    pid_t pid = fork();
    if (pid < 0)
      return 2;
    if (pid == 0) {
      struct sigaction sa = {.sa_handler = on_term};
      sigemptyset(&sa.sa_mask);
      sigaction(SIGTERM, &sa, NULL);
      close(p[0]);
      pthread_t t;
      pthread_create(&t, NULL, churn_thread, held ? NULL : &t);
      if (held)
        hold_arena_lock(p[1]);
      churn(p[1]);
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1)
      return 2;
    close(p[0]);
    while (held && !in_write(pid))
      usleep(1000);
    kill(pid, SIGTERM);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "worker %d: status %#x\n", i, st);
      return 1;
    }
  }
  printf("%d workers\n", n);
  return 0;
}
