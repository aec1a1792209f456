/* cbq_arith: the arith example's client and server rewritten on gRPC core's
 * callback completion queues, where core runs each operation's functor on a
 * thread of its own instead of handing its tag to next/pluck. Same flags,
 * log lines and wire format as examples/arith, so it takes either place in
 * the chain. Plain gRPC program: nothing of this project is linked in.
 *
 *   cbq_arith --in N --next-server :PORT
 *       one call; its completion functor prints "Got value V" and exits
 *       the process from core's thread, as a program finishing in its
 *       callback does.
 *   cbq_arith (--add N | --mul N) [--next-server :PORT] --listen-addr :0
 *       serves /main.Operator/PerformOp on 127.0.0.1 until SIGTERM; every
 *       step of a call (arrival, message, forwarded call, reply) runs in a
 *       functor.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#define METHOD "/main.Operator/PerformOp"
#define OWNER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

typedef grpc_completion_queue_functor functor;

static grpc_completion_queue *cq, *poll_cq;
static grpc_channel *next_channel;
static const char *next_server;
static char op_sym;
static int64_t operand;

/* Int { int64 num = 1; }: field 1 as a varint, absent when zero. */
static grpc_byte_buffer *encode(int64_t v) {
  uint8_t buf[11];
  size_t n = 0;
  uint64_t u = (uint64_t)v;
  if (u) {
    buf[n++] = 0x08;
    for (; u >= 0x80; u >>= 7)
      buf[n++] = (uint8_t)(u | 0x80);
    buf[n++] = (uint8_t)u;
  }
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

static int decode(grpc_byte_buffer *bb, int64_t *v) {
  grpc_byte_buffer_reader rd;
  if (!bb || !grpc_byte_buffer_reader_init(&rd, bb))
    return -1;
  grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
  grpc_byte_buffer_reader_destroy(&rd);
  const uint8_t *p = GRPC_SLICE_START_PTR(s);
  size_t n = GRPC_SLICE_LENGTH(s), i = 0;
  uint64_t u = 0;
  int rc = 0;
  if (n) {
    rc = p[i++] == 0x08 ? -1 : -2;
    for (int shift = 0; rc == -1 && i < n && shift < 64; shift += 7) {
      u |= (uint64_t)(p[i] & 0x7f) << shift;
      if (!(p[i++] & 0x80))
        rc = i == n ? 0 : -2;
    }
  }
  grpc_slice_unref(s);
  *v = (int64_t)u;
  return rc;
}

static char *target(const char *addr) {
  static const char host[] = "127.0.0.1";
  char *t = malloc(sizeof host + strlen(addr));
  if (!t)
    abort();
  strcpy(t, addr[0] == ':' ? host : "");
  strcat(t, addr);
  return t;
}

/* A unary call's one batch: everything sent and received at once. */
typedef struct unary {
  grpc_call *call;
  grpc_byte_buffer *req, *rep;
  grpc_metadata_array initial, trailing;
  grpc_status_code status;
  grpc_slice details;
  grpc_op ops[6];
} unary;

static void unary_start(unary *u, grpc_call *parent, int64_t v, functor *done) {
  memset(u, 0, sizeof *u);
  grpc_slice method = grpc_slice_from_static_string(METHOD);
  u->call = grpc_channel_create_call(next_channel, parent, GRPC_PROPAGATE_DEFAULTS, cq, method,
                                     NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  u->req = encode(v);
  grpc_metadata_array_init(&u->initial);
  grpc_metadata_array_init(&u->trailing);
  u->ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  u->ops[1].op = GRPC_OP_SEND_MESSAGE;
  u->ops[1].data.send_message.send_message = u->req;
  u->ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  u->ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  u->ops[3].data.recv_initial_metadata.recv_initial_metadata = &u->initial;
  u->ops[4].op = GRPC_OP_RECV_MESSAGE;
  u->ops[4].data.recv_message.recv_message = &u->rep;
  u->ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  u->ops[5].data.recv_status_on_client.trailing_metadata = &u->trailing;
  u->ops[5].data.recv_status_on_client.status = &u->status;
  u->ops[5].data.recv_status_on_client.status_details = &u->details;
  if (grpc_call_start_batch(u->call, u->ops, 6, done, NULL) != GRPC_CALL_OK) {
    fprintf(stderr, "cbq_arith: cannot start the call\n");
    exit(1);
  }
}

/* The value the call returned, or -1 (logged) when it failed. */
static int unary_result(unary *u, int ok, int64_t *v) {
  int rc = -1;
  if (!ok || u->status != GRPC_STATUS_OK)
    fprintf(stderr, "call to %s failed: status %d\n", next_server, ok ? (int)u->status : -1);
  else if (decode(u->rep, v) < 0)
    fprintf(stderr, "call to %s failed: reply is not a valid Int\n", next_server);
  else
    rc = 0;
  grpc_byte_buffer_destroy(u->req);
  if (u->rep)
    grpc_byte_buffer_destroy(u->rep);
  grpc_metadata_array_destroy(&u->initial);
  grpc_metadata_array_destroy(&u->trailing);
  grpc_slice_unref(u->details);
  grpc_call_unref(u->call);
  return rc;
}

static void *poll_io(void *arg) {
  (void)arg;
  for (;;)
    grpc_completion_queue_next(poll_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return NULL;
}

/* Client -------------------------------------------------------------------- */

static unary client_call;

static void client_done(functor *f, int ok) {
  (void)f;
  int64_t v;
  if (unary_result(&client_call, ok, &v) < 0)
    exit(1);
  printf("Got value %" PRId64 "\n", v);
  exit(0);
}

static functor client_functor = {client_done, 0, 0, NULL};

__attribute__((noreturn)) static void run_client(int64_t in) {
  fprintf(stderr, "passing --in (%" PRId64 ") to %s\n", in, next_server);
  unary_start(&client_call, NULL, in, &client_functor);
  for (;;)
    pause();
}

/* Server -------------------------------------------------------------------- */

static grpc_server *server;

typedef struct served {
  functor arrived, received, forwarded, replied;
  grpc_call *call;
  grpc_call_details details;
  grpc_metadata_array md;
  grpc_byte_buffer *req, *rep;
  int cancelled;
  grpc_status_code status;
  int64_t value;
  unary fwd;
  grpc_op ops[4];
} served;

static void arrived(functor *f, int ok);
static void received(functor *f, int ok);
static void forwarded(functor *f, int ok);
static void replied(functor *f, int ok);

static void batch(served *s, size_t n, functor *done) {
  if (grpc_call_start_batch(s->call, s->ops, n, done, NULL) != GRPC_CALL_OK) {
    fprintf(stderr, "cbq_arith: cannot start a batch\n");
    exit(1);
  }
}

static void request_next(void) {
  served *s = calloc(1, sizeof *s);
  if (!s)
    abort();
  s->arrived.functor_run = arrived;
  s->received.functor_run = received;
  s->forwarded.functor_run = forwarded;
  s->replied.functor_run = replied;
  grpc_call_details_init(&s->details);
  grpc_metadata_array_init(&s->md);
  if (grpc_server_request_call(server, &s->call, &s->details, &s->md, cq, cq, &s->arrived) !=
      GRPC_CALL_OK) {
    fprintf(stderr, "cbq_arith: cannot request calls\n");
    exit(1);
  }
}

static void reply(served *s) {
  s->rep = s->status == GRPC_STATUS_OK ? encode(s->value) : NULL;
  memset(s->ops, 0, sizeof s->ops);
  s->ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  s->ops[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  s->ops[1].data.recv_close_on_server.cancelled = &s->cancelled;
  s->ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  s->ops[2].data.send_status_from_server.status = s->status;
  s->ops[3].op = GRPC_OP_SEND_MESSAGE;
  s->ops[3].data.send_message.send_message = s->rep;
  batch(s, s->rep ? 4 : 3, &s->replied);
}

static void arrived(functor *f, int ok) {
  served *s = OWNER(f, served, arrived);
  if (!ok) {
    free(s);
    return;
  }
  request_next();
  memset(s->ops, 0, sizeof s->ops);
  s->ops[0].op = GRPC_OP_RECV_MESSAGE;
  s->ops[0].data.recv_message.recv_message = &s->req;
  batch(s, 1, &s->received);
}

static void received(functor *f, int ok) {
  served *s = OWNER(f, served, received);
  int64_t arg;
  if (!ok || decode(s->req, &arg) < 0) {
    fprintf(stderr, "rejecting call: request is not a valid Int\n");
    s->status = GRPC_STATUS_INVALID_ARGUMENT;
    reply(s);
    return;
  }
  s->value = op_sym == '+' ? arg + operand : arg * operand;
  fprintf(stderr, "applying operation %c%" PRId64 " to argument %" PRId64 ": %" PRId64 "\n",
          op_sym, operand, arg, s->value);
  if (!next_channel) {
    fprintf(stderr, "returning value %" PRId64 "\n", s->value);
    reply(s);
    return;
  }
  fprintf(stderr, "passing to %s\n", next_server);
  unary_start(&s->fwd, s->call, s->value, &s->forwarded);
}

static void forwarded(functor *f, int ok) {
  served *s = OWNER(f, served, forwarded);
  if (unary_result(&s->fwd, ok, &s->value) < 0)
    s->status = GRPC_STATUS_UNAVAILABLE;
  reply(s);
}

static void replied(functor *f, int ok) {
  (void)ok;
  served *s = OWNER(f, served, replied);
  if (s->req)
    grpc_byte_buffer_destroy(s->req);
  if (s->rep)
    grpc_byte_buffer_destroy(s->rep);
  grpc_metadata_array_destroy(&s->md);
  grpc_call_details_destroy(&s->details);
  grpc_call_unref(s->call);
  free(s);
}

static int run_server(const char *listen) {
  server = grpc_server_create(NULL, NULL);
  grpc_server_register_completion_queue(server, cq, NULL);
  grpc_server_register_completion_queue(server, poll_cq, NULL);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  char *t = target(listen);
  int port = grpc_server_add_http2_port(server, t, creds);
  free(t);
  grpc_server_credentials_release(creds);
  if (port <= 0) {
    fprintf(stderr, "cbq_arith: cannot listen on %s\n", listen);
    return 1;
  }
  grpc_server_start(server);
  request_next();
  fprintf(stderr, "listening on :%d\n", port);
  /* Exits normally on SIGTERM, so that what the process did is reported. */
  sigset_t set;
  int sig;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigwait(&set, &sig);
  fprintf(stderr, "shutting down on %s\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  exit(0);
}

int main(int argc, char **argv) {
  const char *listen = NULL;
  int64_t in = 0;
  bool client = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (strcmp(k, "--in") == 0) {
      client = true;
      in = strtoll(v, NULL, 10);
    } else if (strcmp(k, "--add") == 0 || strcmp(k, "--mul") == 0) {
      op_sym = k[2] == 'a' ? '+' : '*';
      operand = strtoll(v, NULL, 10);
    } else if (strcmp(k, "--next-server") == 0) {
      next_server = v;
    } else if (strcmp(k, "--listen-addr") == 0) {
      listen = v;
    } else {
      fprintf(stderr, "cbq_arith: unknown flag %s\n", k);
      return 2;
    }
  }
  if (client ? !next_server : !op_sym || !listen) {
    fprintf(stderr, "usage: cbq_arith --in N --next-server :PORT | "
                    "cbq_arith (--add|--mul) N [--next-server :PORT] --listen-addr :0\n");
    return 2;
  }
  /* Blocked before core starts its threads, so that only sigwait takes
   * them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  grpc_init();
  cq = grpc_completion_queue_create_for_callback(NULL, NULL);
  poll_cq = grpc_completion_queue_create_for_next(NULL);
  pthread_t poller;
  if (pthread_create(&poller, NULL, poll_io, NULL)) {
    fprintf(stderr, "cbq_arith: cannot start the polling thread\n");
    return 1;
  }
  if (next_server) {
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    char *t = target(next_server);
    next_channel = grpc_channel_create(t, creds, NULL);
    free(t);
    grpc_channel_credentials_release(creds);
  }
  if (client)
    run_client(in);
  return run_server(listen);
}
