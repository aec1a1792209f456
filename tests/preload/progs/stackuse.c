/* Prints how many bytes of stack each process-starting call takes, each run
 * on a fresh thread whose stack is filled with a pattern first: the deepest
 * byte no longer holding it marks the high-water line. For a vfork child the
 * exec runs on the same stack, so its depth shows too. */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STACK (256u << 10)
static unsigned char *stack;
static const char *self;

static void op_system(void) { system("true"); }
static void op_popen(void) {
  FILE *p = popen("true", "r");
  if (p)
    pclose(p);
}
static void op_spawn(void) {
  pid_t pid;
  char *args[] = {"true", NULL};
  if (posix_spawnp(&pid, "true", NULL, NULL, args, environ) == 0)
    waitpid(pid, NULL, 0);
}
static void op_vfork_exec(void) {
  char *args[] = {"true", NULL};
  pid_t pid = vfork();
  if (pid == 0) {
    execve("/bin/true", args, environ);
    _exit(127);
  }
  waitpid(pid, NULL, 0);
}
static void op_fork(void) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  waitpid(pid, NULL, 0);
}
static void op_failed_exec(void) {
  char *args[] = {"none", NULL};
  execve("/nonexistent/none", args, environ);
}
static void op_execl_failed(void) { execl("/nonexistent/none", "none", "a", "b", (char *)NULL); }

static void op_noop(void) {}
static void op_log(void) { fprintf(stderr, "a line\n"); }

/* Only what the call takes below this frame counts: thread start and exit
 * have stack needs of their own, traced or not. */
static size_t used;
static __attribute__((noinline)) void *run(void *arg) {
  volatile char here = 0;
  size_t top = (size_t)((unsigned char *)&here - stack) - 512;
  memset(stack, 0xa5, top);
  ((void (*)(void))arg)();
  size_t i = 0;
  while (i < top && stack[i] == 0xa5)
    i++;
  used = top - i;
  return NULL;
}

static size_t measure(void (*op)(void)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, STACK);
  pthread_t t;
  if (pthread_create(&t, &attr, run, (void *)op) != 0)
    exit(2);
  pthread_join(t, NULL);
  pthread_attr_destroy(&attr);
  return used;
}

int main(int argc, char **argv) {
  (void)argc;
  self = argv[0];
  stack = aligned_alloc(4096, STACK);
  struct {
    const char *name;
    void (*op)(void);
  } ops[] = {{"noop", op_noop}, {"log", op_log}, {"system", op_system},       {"popen", op_popen},
             {"posix_spawn", op_spawn},   {"vfork_execve", op_vfork_exec}, {"fork", op_fork},
             {"execve_failed", op_failed_exec}, {"execl_failed", op_execl_failed}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    printf("%s %zu\n", ops[i].name, measure(ops[i].op));
  return 0;
}
