/* quietsignals: the preload's reporter thread must take none of the
 * program's signals. Starts the reporter with a log line, finds it by its
 * name, and checks
 *   - its blocked set (SigBlk in /proc/self/task/TID/status) holds every
 *     signal the kernel lets a thread block;
 *   - with main blocking SIGUSR1 and SIGUSR2 unblocked only in a thread of
 *     the program, process-directed signals, many times over, run their
 *     handler on that thread and never on the reporter, and the ones main
 *     blocks wait for main (sigwaitinfo) instead of being taken by the
 *     reporter.
 * Prints what is wrong and exits 1, or exits 0.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROUNDS 2000

static _Atomic pid_t handled_by;
static _Atomic int handled;

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static void on_usr2(int sig) {
  (void)sig;
  atomic_store(&handled_by, tid());
  atomic_fetch_add(&handled, 1);
}

/* The TID of the thread named "xtrace-report", or 0. */
static pid_t find_reporter(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return 0;
  pid_t found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], comm[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(comm, sizeof comm, f) && strcmp(comm, "xtrace-report\n") == 0) found = atoi(e->d_name);
    fclose(f);
  }
  closedir(d);
  return found;
}

static unsigned long long sigblk(pid_t t) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)t);
  FILE *f = fopen(path, "r");
  unsigned long long v = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "SigBlk:", 7) == 0) v = strtoull(line + 7, NULL, 16);
  if (f) fclose(f);
  return v;
}

static _Atomic int stop;

/* The program's own signal-taking thread: SIGUSR2 is unblocked only here. */
static void *taker(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  while (!atomic_load(&stop)) pause();
  return NULL;
}

int main(void) {
  /* The first event starts the reporter, while main blocks nothing: a
   * reporter that merely inherited main's mask would block nothing either. */
  fprintf(stderr, "quietsignals start\n");
  pid_t rep = 0;
  for (int i = 0; i < 10000 && !(rep = find_reporter()); i++) usleep(1000);
  if (!rep) {
    fprintf(stderr, "no thread named xtrace-report\n");
    return 1;
  }

  /* Every signal but SIGKILL and SIGSTOP, which the kernel never blocks,
   * and glibc's two internal ones (32, 33), which it never lets a program
   * block. */
  unsigned long long want = 0;
  for (int s = 1; s <= 64; s++)
    if (s != SIGKILL && s != SIGSTOP && s != 32 && s != 33) want |= 1ull << (s - 1);
  unsigned long long blk = sigblk(rep);
  if ((blk & want) != want) {
    fprintf(stderr, "reporter %d blocks %016llx, missing %016llx\n", (int)rep, blk, want & ~blk);
    return 1;
  }

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &block, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  pthread_t th;
  pthread_create(&th, NULL, taker, NULL);
  for (int i = 0; i < ROUNDS; i++) {
    int before = atomic_load(&handled);
    kill(getpid(), SIGUSR2);
    while (atomic_load(&handled) == before) sched_yield();
    if (atomic_load(&handled_by) == rep) {
      fprintf(stderr, "SIGUSR2 handled on the reporter thread\n");
      return 1;
    }
    kill(getpid(), SIGUSR1);
    siginfo_t si;
    int s = sigwaitinfo(&block, &si);
    if (s != SIGUSR1) {
      fprintf(stderr, "main waited for SIGUSR1, got %d\n", s);
      return 1;
    }
  }
  atomic_store(&stop, 1);
  pthread_kill(th, SIGUSR2);
  pthread_join(th, NULL);
  fprintf(stderr, "quietsignals done: %d handled\n", atomic_load(&handled));
  return 0;
}
