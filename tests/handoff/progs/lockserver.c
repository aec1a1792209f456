/* A server whose two requests share one lock and nothing else. Two calls
 * arrive (on the stand-in gRPC core of tests/grpc/fakecore) with tasks A
 * and B; each handler starts a thread that serves the request. The lock is
 * a semaphore used as a mutex, as CPython's Lock is: request A holds it,
 * then request B takes it after A let go (the order kept by a pipe, which
 * the hand-off hooks do not follow). A's release is a sem_post that B's
 * sem_wait takes: the two requests must stay separate tasks.
 *   lockserver TASK_A EVENT_A TASK_B EVENT_B */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_core.h"

static grpc_completion_queue *cq;
static grpc_metadata_array request_md;
static grpc_call *server_call;
static grpc_call_details call_details;
static sem_t lock;
static int order[2];
static int served;
static pthread_t threads[2];

static void *serve(void *arg) {
  int which = (int)(long)arg;
  char b = 0;
  if (which == 1 && read(order[0], &b, 1) != 1)
    exit(3);
  sem_wait(&lock);
  fprintf(stderr, "request %c holds the lock\n", which ? 'B' : 'A');
  sem_post(&lock);
  if (which == 0 && write(order[1], &b, 1) != 1)
    exit(3);
  return NULL;
}

static void on_reply_sent(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  (void)ok;
}
static grpc_completion_queue_functor reply_done = {on_reply_sent, 0, 0, NULL};

static void on_new_call(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  (void)ok;
  fprintf(stderr, "request %c arrives\n", served ? 'B' : 'A');
  pthread_create(&threads[served], NULL, serve, (void *)(long)served);
  served++;
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[1].data.send_status_from_server.status = GRPC_STATUS_OK;
  grpc_call_start_batch(server_call, ops, 2, &reply_done, NULL);
}
static grpc_completion_queue_functor new_call = {on_new_call, 0, 0, NULL};

int main(int argc, char **argv) {
  if (argc != 5 || pipe(order))
    return 2;
  sem_init(&lock, 0, 1);
  cq = grpc_completion_queue_create_for_callback(NULL, NULL);
  for (int i = 0; i < 2; i++) {
    grpc_server_request_call(fake_server(), &server_call, &call_details, &request_md, cq, cq,
                             &new_call);
    fake_deliver_call(strtoull(argv[1 + 2 * i], NULL, 10), strtoull(argv[2 + 2 * i], NULL, 10));
    fake_drain();
    grpc_call_unref(server_call);
  }
  for (int i = 0; i < 2; i++)
    pthread_join(threads[i], NULL);
  grpc_completion_queue_destroy(cq);
  fprintf(stderr, "served\n");
  return 0;
}
