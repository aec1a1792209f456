/*
 * Every libc function the preload calls "for real", as one X-macro list, so
 * the table in common.c, the typedefs and the index enum cannot drift apart.
 * X(return type, name, parameter list). Variadic hooks forward to the v-form;
 * the printf family's own names are here for their trampolines' pass-through
 * (logging/stdio.c).
 */
#ifndef XTP_SYMBOLS_H
#define XTP_SYMBOLS_H

#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define XTP_REAL_SYMBOLS(X)                                                                        \
  /* threads */                                                                                    \
  X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))         \
  X(int, pthread_join, (pthread_t, void **))                                                       \
  X(int, pthread_tryjoin_np, (pthread_t, void **))                                                 \
  X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))                      \
  X(int, pthread_detach, (pthread_t))                                                              \
  X(void, pthread_exit, (void *))                                                                  \
  X(int, pthread_setname_np, (pthread_t, const char *))                                            \
  /* hand-offs (handoff.c resolves the pthread_cond_* ones by version) */                          \
  X(int, pthread_cond_signal, (pthread_cond_t *))                                                  \
  X(int, pthread_cond_broadcast, (pthread_cond_t *))                                               \
  X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))                                 \
  X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))   \
  X(int, pthread_cond_clockwait,                                                                   \
    (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))                     \
  X(int, sem_post, (sem_t *))                                                                      \
  X(int, sem_wait, (sem_t *))                                                                      \
  X(int, sem_timedwait, (sem_t *, const struct timespec *))                                        \
  X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                             \
  X(int, sem_trywait, (sem_t *))                                                                   \
  X(int, pthread_mutex_unlock, (pthread_mutex_t *))                                                \
  /* stdio and fd logging */                                                                       \
  X(int, vfprintf, (FILE *, const char *, va_list))                                                \
  X(int, printf, (const char *, ...))                                                              \
  X(int, fprintf, (FILE *, const char *, ...))                                                     \
  X(int, __printf_chk, (int, const char *, ...))                                                   \
  X(int, __fprintf_chk, (FILE *, int, const char *, ...))                                          \
  X(int, __vfprintf_chk, (FILE *, int, const char *, va_list))                                     \
  X(int, vdprintf, (int, const char *, va_list))                                                   \
  X(int, __vdprintf_chk, (int, int, const char *, va_list))                                        \
  X(int, puts, (const char *))                                                                     \
  X(int, fputs, (const char *, FILE *))                                                            \
  X(int, fputs_unlocked, (const char *, FILE *))                                                   \
  X(int, fputc, (int, FILE *))                                                                     \
  X(int, fputc_unlocked, (int, FILE *))                                                            \
  X(int, putc, (int, FILE *))                                                                      \
  X(int, putc_unlocked, (int, FILE *))                                                             \
  X(int, putchar, (int))                                                                           \
  X(int, putchar_unlocked, (int))                                                                  \
  X(size_t, fwrite, (const void *, size_t, size_t, FILE *))                                        \
  X(size_t, fwrite_unlocked, (const void *, size_t, size_t, FILE *))                               \
  X(int, __overflow, (FILE *, int))                                                                \
  X(int, fflush, (FILE *))                                                                         \
  X(int, fflush_unlocked, (FILE *))                                                                \
  X(int, fclose, (FILE *))                                                                         \
  X(int, dup2, (int, int))                                                                         \
  X(int, dup3, (int, int, int))                                                                    \
  X(FILE *, freopen, (const char *, const char *, FILE *))                                         \
  X(FILE *, freopen64, (const char *, const char *, FILE *))                                       \
  X(void, perror, (const char *))                                                                  \
  X(void, vwarn, (const char *, va_list))                                                          \
  X(void, vwarnx, (const char *, va_list))                                                         \
  X(void, verr, (int, const char *, va_list))                                                      \
  X(void, verrx, (int, const char *, va_list))                                                     \
  X(void, vsyslog, (int, const char *, va_list))                                                   \
  X(void, __vsyslog_chk, (int, int, const char *, va_list))                                        \
  X(ssize_t, write, (int, const void *, size_t))                                                   \
  X(ssize_t, writev, (int, const struct iovec *, int))                                             \
  /* processes */                                                                                  \
  X(pid_t, fork, (void))                                                                           \
  X(int, execve, (const char *, char *const[], char *const[]))                                     \
  X(int, execvpe, (const char *, char *const[], char *const[]))                                    \
  X(int, fexecve, (int, char *const[], char *const[]))                                             \
  X(int, execveat, (int, const char *, char *const[], char *const[], int))                         \
  X(int, posix_spawn,                                                                              \
    (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,         \
     char *const[], char *const[]))                                                                \
  X(int, posix_spawnp,                                                                             \
    (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,         \
     char *const[], char *const[]))                                                                \
  X(int, system, (const char *))                                                                   \
  X(FILE *, popen, (const char *, const char *))                                                   \
  X(int, pclose, (FILE *))                                                                         \
  X(void, _exit, (int))                                                                            \
  X(pid_t, wait, (int *))                                                                          \
  X(pid_t, waitpid, (pid_t, int *, int))                                                           \
  X(pid_t, wait3, (int *, int, struct rusage *))                                                   \
  X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                                            \
  X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                                               \
  /* sockets */                                                                                    \
  X(int, connect, (int, const struct sockaddr *, socklen_t))                                       \
  X(int, accept, (int, struct sockaddr *, socklen_t *))                                            \
  X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                      \
  X(ssize_t, send, (int, const void *, size_t, int))                                               \
  X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))         \
  X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                           \
  X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))                                     \
  X(ssize_t, recv, (int, void *, size_t, int))                                                     \
  X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))                 \
  X(ssize_t, recvmsg, (int, struct msghdr *, int))                                                 \
  X(ssize_t, read, (int, void *, size_t))                                                          \
  X(int, close, (int))

#endif
