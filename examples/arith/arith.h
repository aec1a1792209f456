/* The arithmetic RPC chain on gRPC's core C API.
 *
 * A process is either a client (--in N --next-server ADDR) that sends N down
 * the chain and prints what comes back, or a server that applies one
 * operation to the number it receives and either returns the result or
 * passes it to the next server and returns that server's answer.
 *
 * Deliberately a plain gRPC program: it knows nothing of tracing, so that
 * tracing it by preloading proves the tracer needs no help from the code. */
#ifndef ARITH_H
#define ARITH_H

#include <stdint.h>
#include <stdio.h>

#include <grpc/grpc.h>

/* Exit codes, documented in examples/README.md. */
enum {
	ARITH_EXIT_OK = 0,
	ARITH_EXIT_CALL_FAILED = 1, /* the RPC returned a non-OK status */
	ARITH_EXIT_USAGE = 2,       /* bad flags */
	ARITH_EXIT_LISTEN = 3,      /* could not bind --listen-addr */
};

#define ARITH_METHOD "/main.Operator/PerformOp"

enum arith_op { ARITH_NONE, ARITH_ADD, ARITH_SUB, ARITH_MUL, ARITH_DIV };

struct arith_opts {
	enum arith_op op;          /* ARITH_NONE for a client */
	int64_t operand;           /* N of --add/--sub/--mul/--div */
	int64_t in;                /* N of --in */
	int has_in;
	const char *listen_addr;   /* as the user wrote it, for log lines */
	const char *next_server;   /* as the user wrote it, for log lines */
	char listen_target[300];   /* what gRPC binds */
	char next_target[300];     /* what gRPC dials */
	int workers;               /* server threads (--workers) */
	int64_t deadline_ms;       /* per call (--deadline-ms) */
	int threads;               /* client threads (--threads) */
	int64_t count;             /* calls per client thread (--count) */
};

/* flags.c */
int arith_parse_flags(int argc, char **argv, struct arith_opts *o);
void arith_usage(FILE *f);

/* msg.c: the Int message as a gRPC byte buffer. */
grpc_byte_buffer *arith_msg_encode(int64_t num);
int arith_msg_decode(grpc_byte_buffer *bb, int64_t *num);
const char *arith_status_name(grpc_status_code code);
char *arith_slice_strdup(grpc_slice s);
int arith_apply(enum arith_op op, int64_t operand, int64_t arg, int64_t *out);
char arith_op_symbol(enum arith_op op);

/* client.c: one unary call, blocking, on a caller-owned pluck queue. */
struct arith_result {
	grpc_status_code status;
	int64_t value;             /* valid when status is GRPC_STATUS_OK */
	char *details;             /* malloc'd status message, may be "" */
};

struct arith_peer {
	grpc_channel *channel;
	void *method;              /* grpc_channel_register_call handle */
};

int arith_peer_open(struct arith_peer *p, const char *target);
void arith_peer_close(struct arith_peer *p);
void arith_call(struct arith_peer *p, grpc_completion_queue *cq,
		grpc_call *parent, int64_t deadline_ms, int64_t in,
		struct arith_result *r);
void arith_result_free(struct arith_result *r);
int arith_run_client(const struct arith_opts *o);

/* server.c */
int arith_run_server(const struct arith_opts *o);

#endif
