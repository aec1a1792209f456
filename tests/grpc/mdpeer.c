/* mdpeer: a gRPC core peer that shows and sends raw metadata, so tests can
 * see what the preload puts on the wire and feed it what it must survive.
 * Plain gRPC program: nothing of this project is linked in.
 *
 *   mdpeer serve [--thread-per-call]
 *       listens on :0 (prints "listening on :PORT" on stderr), accepts calls
 *       to any method with up to 64 KiB of metadata, and for each prints
 *       "md KEY VALUE" per request metadata entry, then "end", on stdout;
 *       replies OK with an empty message (the Int 0). With
 *       --thread-per-call each call is requested, dequeued and answered by
 *       a thread of its own that then exits, as in pools that grow and
 *       shrink; instead of the metadata it prints "heap BYTES", the bytes
 *       malloc has handed out and not had back, after each call.
 *   mdpeer call HOST:PORT METHOD [KEY=VALUE]...
 *       one unary call with an empty message and the given metadata (a
 *       VALUE of the form @N means N bytes of '7'); prints "status CODE" and
 *       "trailer KEY VALUE" lines; exit status 0 iff the call succeeded.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

static void print_md(const char *what, const grpc_metadata_array *md) {
  for (size_t i = 0; i < md->count; i++) {
    const grpc_metadata *m = &md->metadata[i];
    printf("%s %.*s %.*s\n", what, (int)GRPC_SLICE_LENGTH(m->key),
           (const char *)GRPC_SLICE_START_PTR(m->key), (int)GRPC_SLICE_LENGTH(m->value),
           (const char *)GRPC_SLICE_START_PTR(m->value));
  }
}

static grpc_event wait_tag(grpc_completion_queue *cq, void *tag) {
  return grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

typedef struct server_ctx {
  grpc_server *server;
  grpc_completion_queue *cq;
  bool quiet; /* no metadata on stdout */
} server_ctx;

/* Requests, dequeues and answers one call; 0 on success. */
static int serve_one(const server_ctx *sc) {
  grpc_call *call = NULL;
  grpc_call_details details;
  grpc_metadata_array md;
  int tag_new, tag_reply, cancelled = 0;
  grpc_call_details_init(&details);
  grpc_metadata_array_init(&md);
  if (grpc_server_request_call(sc->server, &call, &details, &md, sc->cq, sc->cq, &tag_new) !=
      GRPC_CALL_OK)
    return 1;
  grpc_event ev = wait_tag(sc->cq, &tag_new);
  if (!ev.success)
    return 1;
  if (!sc->quiet) {
    print_md("md", &md);
    printf("end\n");
    fflush(stdout);
  }
  grpc_byte_buffer *reply = grpc_raw_byte_buffer_create(NULL, 0);
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = reply;
  ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
  ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[3].data.recv_close_on_server.cancelled = &cancelled;
  if (grpc_call_start_batch(call, ops, 4, &tag_reply, NULL) == GRPC_CALL_OK)
    wait_tag(sc->cq, &tag_reply);
  grpc_byte_buffer_destroy(reply);
  grpc_metadata_array_destroy(&md);
  grpc_call_details_destroy(&details);
  grpc_call_unref(call);
  return 0;
}

static void *serve_thread(void *arg) {
  return (void *)(intptr_t)serve_one(arg);
}

static int serve(bool thread_per_call) {
  grpc_arg args[] = {
      {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_METADATA_SIZE, .value.integer = 65536},
      {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0}};
  grpc_channel_args ca = {.num_args = 2, .args = args};
  server_ctx sc = {.server = grpc_server_create(&ca, NULL),
                   .cq = grpc_completion_queue_create_for_pluck(NULL),
                   .quiet = thread_per_call};
  grpc_server_register_completion_queue(sc.server, sc.cq, NULL);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(sc.server, "127.0.0.1:0", creds);
  grpc_server_credentials_release(creds);
  if (port <= 0) {
    fprintf(stderr, "mdpeer: cannot listen\n");
    return 1;
  }
  grpc_server_start(sc.server);
  fprintf(stderr, "listening on :%d\n", port);
  for (;;) {
    if (!thread_per_call) {
      if (serve_one(&sc))
        return 1;
      continue;
    }
    pthread_t th;
    void *rc;
    if (pthread_create(&th, NULL, serve_thread, &sc) || pthread_join(th, &rc) || rc)
      return 1;
    printf("heap %zu\n", mallinfo2().uordblks);
    fflush(stdout);
  }
}

static int call(const char *target, const char *method, int n, char **kv) {
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(target, creds, NULL);
  grpc_channel_credentials_release(creds);
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_seconds(10, GPR_TIMESPAN));
  grpc_call *c = grpc_channel_create_call(ch, NULL, 0, cq, grpc_slice_from_copied_string(method),
                                          NULL, deadline, NULL);
  grpc_metadata *md = calloc((size_t)n + 1, sizeof *md);
  for (int i = 0; i < n; i++) {
    char *eq = strchr(kv[i], '=');
    if (!eq) {
      fprintf(stderr, "mdpeer: metadata must be KEY=VALUE: %s\n", kv[i]);
      return 2;
    }
    md[i].key = grpc_slice_from_copied_buffer(kv[i], (size_t)(eq - kv[i]));
    if (eq[1] == '@') {
      size_t len = (size_t)atol(eq + 2);
      char *v = malloc(len + 1);
      memset(v, '7', len);
      md[i].value = grpc_slice_from_copied_buffer(v, len);
      free(v);
    } else {
      md[i].value = grpc_slice_from_copied_string(eq + 1);
    }
  }
  grpc_byte_buffer *req = grpc_raw_byte_buffer_create(NULL, 0), *rep = NULL;
  grpc_metadata_array initial, trailing;
  grpc_metadata_array_init(&initial);
  grpc_metadata_array_init(&trailing);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details;
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = (size_t)n;
  ops[0].data.send_initial_metadata.metadata = md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = req;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &rep;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;
  int tag;
  if (grpc_call_start_batch(c, ops, 6, &tag, NULL) != GRPC_CALL_OK) {
    fprintf(stderr, "mdpeer: start_batch failed\n");
    return 1;
  }
  wait_tag(cq, &tag);
  printf("status %d\n", (int)status);
  print_md("trailer", &trailing);
  if (status != GRPC_STATUS_OK)
    fprintf(stderr, "mdpeer: %.*s\n", (int)GRPC_SLICE_LENGTH(details),
            (const char *)GRPC_SLICE_START_PTR(details));
  fflush(stdout);
  return status == GRPC_STATUS_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  grpc_init();
  if (argc == 2 && strcmp(argv[1], "serve") == 0)
    return serve(false);
  if (argc == 3 && strcmp(argv[1], "serve") == 0 && strcmp(argv[2], "--thread-per-call") == 0)
    return serve(true);
  if (argc >= 4 && strcmp(argv[1], "call") == 0)
    return call(argv[2], argv[3], argc - 4, argv + 4);
  fprintf(stderr, "usage: mdpeer serve [--thread-per-call] | mdpeer call HOST:PORT METHOD [KEY=VALUE]...\n");
  return 2;
}
