/* Calls a hook of every family and prints what a preload could change
 * behind the program's back: the environment children get (inherited,
 * NULL, given), the descriptors and threads the process has, the results.
 * Run untraced and with XTRACE_DISABLE=1, the output must be the same. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

extern char **environ;

static void *thread_main(void *arg) {
  fprintf(stderr, "thread\n");
  return arg;
}

static void listdir(const char *label, const char *path) {
  DIR *d = opendir(path);
  if (!d)
    return;
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  printf("%s %d\n", label, n);
}

static void child_env(char *self, char *const envp[], int use_environ) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char *args[] = {self, "show", NULL};
    if (use_environ)
      execv(self, args);
    else
      execve(self, args, envp);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("status %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "show") == 0) {
    printf("env:");
    for (char **e = environ; e && *e; e++)
      printf(" [%s]", *e);
    printf("\n");
    return 0;
  }
  static int token;
  pthread_t t;
  void *ret;
  pthread_create(&t, NULL, thread_main, &token);
  pthread_join(t, &ret);
  printf("join %d\n", ret == &token);
  fprintf(stderr, "a log line\n");
  syslog(LOG_INFO, "a syslog line");
  int sv[2];
  char buf[32];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  ssize_t sent = send(sv[0], "ping", 4, 0);
  printf("send %zd recv %zd\n", sent, recv(sv[1], buf, sizeof buf, 0));
  close(sv[0]);
  close(sv[1]);
  child_env(argv[0], NULL, 1);
  child_env(argv[0], NULL, 0);
  char *given[] = {"A=1", NULL};
  child_env(argv[0], given, 0);
  fflush(stdout);
  printf("system %d\n", WEXITSTATUS(system("exit 3")));
  FILE *p = popen("echo from-popen", "r");
  if (p && fgets(buf, sizeof buf, p))
    printf("popen %s", buf);
  printf("pclose %d\n", p ? pclose(p) : -1);
  pid_t pid;
  char *args[] = {argv[0], "show", NULL};
  fflush(stdout);
  posix_spawn(&pid, argv[0], NULL, NULL, args, NULL);
  int st;
  waitpid(pid, &st, 0);
  listdir("fds", "/proc/self/fd");
  listdir("threads", "/proc/self/task");
  return 0;
}
