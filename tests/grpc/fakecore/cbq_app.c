/* An "application" on callback completion queues (see fake_core.h): a
 * client call whose completion runs on the core's thread, then a server
 * call delivered there, answered from its handler functor. It logs with
 * plain fprintf and prints what the shim added to the metadata on stdout,
 * one "name value" per line, for the test to compare with the reports.
 *
 *   cbq_app REPLY_EVENT TASK EVENT */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_core.h"

static grpc_completion_queue *cq;
static grpc_metadata_array trailing, request_md;
static grpc_status_code status;
static grpc_slice details;
static grpc_call *server_call;
static grpc_call_details call_details;

static void on_client_status(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  fprintf(stderr, "client callback: ok %d status %d\n", ok, (int)status);
}

static void on_reply_sent(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  fprintf(stderr, "reply sent: ok %d\n", ok);
}

static grpc_completion_queue_functor client_done = {on_client_status, 0, 0, NULL};
static grpc_completion_queue_functor reply_done = {on_reply_sent, 0, 0, NULL};

static void on_new_call(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  fprintf(stderr, "handling call: ok %d\n", ok);
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[1].data.send_status_from_server.status = GRPC_STATUS_OK;
  grpc_call_start_batch(server_call, ops, 2, &reply_done, NULL);
}

static grpc_completion_queue_functor new_call = {on_new_call, 0, 0, NULL};

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  fake_set_reply_event(strtoull(argv[1], NULL, 10));
  fprintf(stderr, "app start\n");
  cq = grpc_completion_queue_create_for_callback(NULL, NULL);

  grpc_call *call = grpc_channel_create_call(fake_channel(), NULL, 0, cq,
                                             grpc_slice_from_static_string("/main.Operator/PerformOp"),
                                             NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[1].data.recv_status_on_client.trailing_metadata = &trailing;
  ops[1].data.recv_status_on_client.status = &status;
  ops[1].data.recv_status_on_client.status_details = &details;
  grpc_call_start_batch(call, ops, 2, &client_done, NULL);
  fake_drain();
  grpc_call_unref(call);
  fprintf(stderr, "client call finished\n");

  grpc_server_request_call(fake_server(), &server_call, &call_details, &request_md, cq, cq,
                           &new_call);
  fake_deliver_call(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
  fake_drain();
  grpc_call_unref(server_call);
  fprintf(stderr, "server call finished\n");
  grpc_completion_queue_destroy(cq);

  printf("xtrace_task_id %s\n", fake_sent_initial("xtrace_task_id"));
  printf("xtrace_event_id %s\n", fake_sent_initial("xtrace_event_id"));
  printf("traceparent %s\n", fake_sent_initial("traceparent"));
  printf("trailing_event_id %s\n", fake_sent_trailing("xtrace_event_id"));
  return 0;
}
