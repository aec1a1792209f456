/* An "application" that constructs a grpc++-style stub per request: each
 * construction registers the service's methods on the channel again, and
 * core answers with the same handles. It prints how much its resident
 * memory grew over the registrations ("rss_growth_kb N"), then makes one
 * call through a registered handle. See fake_core.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake_core.h"

#define STUBS 50000

static grpc_metadata_array trailing;
static grpc_status_code status;
static grpc_slice details;

static void on_status(grpc_completion_queue_functor *f, int ok) {
  (void)f;
  fprintf(stderr, "call done: ok %d\n", ok);
}

static grpc_completion_queue_functor done = {on_status, 0, 0, NULL};

static long rss_kb(void) {
  long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(void) {
  fprintf(stderr, "app start\n");
  void *perform = grpc_channel_register_call(fake_channel(), "/main.Operator/PerformOp", NULL, NULL);
  grpc_channel_register_call(fake_channel(), "/main.Operator/Check", NULL, NULL);
  long before = rss_kb();
  for (int i = 0; i < STUBS; i++) {
    perform = grpc_channel_register_call(fake_channel(), "/main.Operator/PerformOp", NULL, NULL);
    grpc_channel_register_call(fake_channel(), "/main.Operator/Check", NULL, NULL);
  }
  long growth = rss_kb() - before;

  grpc_completion_queue *cq = grpc_completion_queue_create_for_callback(NULL, NULL);
  grpc_call *call = grpc_channel_create_registered_call(fake_channel(), NULL, 0, cq, perform,
                                                        gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[1].data.recv_status_on_client.trailing_metadata = &trailing;
  ops[1].data.recv_status_on_client.status = &status;
  ops[1].data.recv_status_on_client.status_details = &details;
  grpc_call_start_batch(call, ops, 2, &done, NULL);
  fake_drain();
  grpc_call_unref(call);
  grpc_completion_queue_destroy(cq);
  fprintf(stderr, "app end\n");
  printf("rss_growth_kb %ld\n", growth);
  return 0;
}
