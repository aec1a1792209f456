/* The server: a pool of worker threads, each owning a completion queue.
 *
 * Each worker asks gRPC for one new call at a time
 * (grpc_server_request_registered_call with its own queue as both the
 * notification queue and the call's queue), serves it to the end, then asks
 * again. Because a worker never has more than one operation outstanding on
 * its queue, grpc_completion_queue_next can only return the tag it is waiting
 * for, and the handler can be written as straight-line code. Concurrency is
 * the number of workers: calls beyond that wait inside gRPC until a worker
 * asks for them. Forwarding to the next server runs on a second, pluck-only
 * queue per worker so its completion cannot be confused with the worker's own
 * (see client.c).
 *
 * Shutdown: the main thread waits for SIGINT/SIGTERM with sigwait (the signals
 * are blocked in every thread, including gRPC's), then calls
 * grpc_server_shutdown_and_notify. gRPC fails every pending request with
 * success == 0, which is how each idle worker learns to stop; a busy worker
 * finishes its call first, and the shutdown tag arrives once no call is left.
 *
 * One extra thread asks for calls to any other method (reject_main), which
 * gRPC would otherwise hold until their deadline, and fails them with
 * UNIMPLEMENTED. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "arith.h"

struct server;

struct worker {
	pthread_t tid;
	struct server *srv;
	grpc_completion_queue *cq;      /* NEXT: new calls, reply batches */
	grpc_completion_queue *fwd_cq;  /* PLUCK: calls to the next server */
};

struct server {
	const struct arith_opts *o;
	grpc_server *server;
	void *method;                   /* grpc_server_register_method */
	grpc_completion_queue *shutdown_cq;
	struct arith_peer next;         /* channel is NULL for the last hop */
	struct worker *workers;
	int nworkers;
};

/* What the handler decided: a value to return or a status to fail with. */
struct reply {
	grpc_status_code status;
	int64_t value;
	char details[256];
};

static void set_error(struct reply *rep, grpc_status_code code,
		      const char *details)
{
	rep->status = code;
	snprintf(rep->details, sizeof(rep->details), "%s", details);
}

/* Hands the value on and adopts the next server's answer, success or not, so
 * that a failure deep in the chain reaches the client with its own code. */
static void forward(struct worker *w, grpc_call *call, struct reply *rep)
{
	const struct arith_opts *o = w->srv->o;
	struct arith_result r;

	fprintf(stderr, "passing to %s\n", o->next_server);
	arith_call(&w->srv->next, w->fwd_cq, call, o->deadline_ms, rep->value,
		   &r);
	if (r.status == GRPC_STATUS_OK) {
		rep->value = r.value;
	} else {
		fprintf(stderr, "next server %s failed: %s: %s\n",
			o->next_server, arith_status_name(r.status),
			r.details ? r.details : "");
		rep->status = r.status;
		snprintf(rep->details, sizeof(rep->details), "next server %s: %s",
			 o->next_server, r.details ? r.details : "");
	}
	arith_result_free(&r);
}

static void handle(struct worker *w, grpc_call *call, grpc_byte_buffer *payload,
		   struct reply *rep)
{
	const struct arith_opts *o = w->srv->o;
	char sym = arith_op_symbol(o->op);
	int64_t arg;

	rep->status = GRPC_STATUS_OK;
	rep->details[0] = '\0';
	if (arith_msg_decode(payload, &arg) < 0) {
		fprintf(stderr, "rejecting call: request is not a valid Int\n");
		set_error(rep, GRPC_STATUS_INVALID_ARGUMENT,
			  "request is not a valid Int");
		return;
	}
	if (arith_apply(o->op, o->operand, arg, &rep->value) < 0) {
		fprintf(stderr, "applying operation %c%" PRId64
			" to argument %" PRId64 ": division by zero\n", sym,
			o->operand, arg);
		set_error(rep, GRPC_STATUS_INVALID_ARGUMENT,
			  "division by zero");
		return;
	}
	fprintf(stderr, "applying operation %c%" PRId64 " to argument %" PRId64
		": %" PRId64 "\n", sym, o->operand, arg, rep->value);
	if (w->srv->next.channel)
		forward(w, call, rep);
	else
		fprintf(stderr, "returning value %" PRId64 "\n", rep->value);
}

/* The reply is one batch: initial metadata, the message (only on success),
 * the status, and RECV_CLOSE_ON_SERVER, which completes once the client has
 * the status or is gone, i.e. when the call is really over for us. */
static void send_reply(struct worker *w, grpc_call *call,
		       const struct reply *rep)
{
	grpc_byte_buffer *msg = NULL;
	grpc_slice details = grpc_slice_from_copied_string(rep->details);
	grpc_op ops[4], *op = ops;
	grpc_call_error err;
	grpc_event ev;
	int cancelled = 0, tag;

	memset(ops, 0, sizeof(ops));
	op->op = GRPC_OP_SEND_INITIAL_METADATA;
	op++;
	if (rep->status == GRPC_STATUS_OK) {
		msg = arith_msg_encode(rep->value);
		op->op = GRPC_OP_SEND_MESSAGE;
		op->data.send_message.send_message = msg;
		op++;
	}
	op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	op->data.send_status_from_server.status = rep->status;
	op->data.send_status_from_server.status_details = &details;
	op++;
	op->op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op->data.recv_close_on_server.cancelled = &cancelled;
	op++;
	err = grpc_call_start_batch(call, ops, (size_t)(op - ops), &tag, NULL);
	if (err == GRPC_CALL_OK) {
		ev = grpc_completion_queue_next(
			w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type != GRPC_OP_COMPLETE || ev.tag != &tag)
			fprintf(stderr, "arith: reply batch lost\n");
	} else {
		fprintf(stderr, "arith: cannot send reply: %s\n",
			grpc_call_error_to_string(err));
	}
	grpc_slice_unref(details);
	if (msg)
		grpc_byte_buffer_destroy(msg);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;

	for (;;) {
		grpc_call *call = NULL;
		grpc_byte_buffer *payload = NULL;
		grpc_metadata_array md;
		gpr_timespec deadline;
		grpc_call_error err;
		struct reply rep;
		grpc_event ev;
		int tag;

		grpc_metadata_array_init(&md);
		/* With GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER (set at
		 * registration) the request message arrives with the call, so
		 * a unary handler needs no RECV_MESSAGE batch. */
		err = grpc_server_request_registered_call(
			srv->server, srv->method, &call, &deadline, &md,
			&payload, w->cq, w->cq, &tag);
		if (err != GRPC_CALL_OK) {
			fprintf(stderr, "arith: cannot request calls: %s\n",
				grpc_call_error_to_string(err));
			grpc_metadata_array_destroy(&md);
			break;
		}
		ev = grpc_completion_queue_next(
			w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type != GRPC_OP_COMPLETE || !ev.success) {
			/* The server is shutting down: no call was made. */
			grpc_metadata_array_destroy(&md);
			break;
		}
		handle(w, call, payload, &rep);
		send_reply(w, call, &rep);
		if (payload)
			grpc_byte_buffer_destroy(payload);
		grpc_metadata_array_destroy(&md);
		grpc_call_unref(call);
	}
	return NULL;
}

/* Calls to any other method arrive only through grpc_server_request_call;
 * if nobody asked for them they would sit in the server until their deadline.
 * The last thread of the pool answers them all with UNIMPLEMENTED, as
 * generated servers do. */
static void *reject_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		grpc_call *call = NULL;
		grpc_call_details details;
		grpc_metadata_array md;
		grpc_call_error err;
		struct reply rep;
		grpc_event ev;
		char *method;
		int tag;

		grpc_call_details_init(&details);
		grpc_metadata_array_init(&md);
		err = grpc_server_request_call(w->srv->server, &call, &details,
					       &md, w->cq, w->cq, &tag);
		if (err == GRPC_CALL_OK)
			ev = grpc_completion_queue_next(
				w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (err != GRPC_CALL_OK || ev.type != GRPC_OP_COMPLETE ||
		    !ev.success) {
			grpc_call_details_destroy(&details);
			grpc_metadata_array_destroy(&md);
			break;
		}
		method = arith_slice_strdup(details.method);
		fprintf(stderr, "rejecting call to unknown method %s\n",
			method ? method : "?");
		free(method);
		set_error(&rep, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
		send_reply(w, call, &rep);
		grpc_call_details_destroy(&details);
		grpc_metadata_array_destroy(&md);
		grpc_call_unref(call);
	}
	return NULL;
}

/* A queue may be destroyed only after shutdown has been observed on it. */
static void drain(grpc_completion_queue *cq, int pluck)
{
	gpr_timespec inf = gpr_inf_future(GPR_CLOCK_REALTIME);
	grpc_event ev;

	if (!cq)
		return;
	grpc_completion_queue_shutdown(cq);
	do {
		ev = pluck ? grpc_completion_queue_pluck(cq, NULL, inf, NULL)
			   : grpc_completion_queue_next(cq, inf, NULL);
	} while (ev.type != GRPC_QUEUE_SHUTDOWN);
	grpc_completion_queue_destroy(cq);
}

/* Shutdown is legal on a server that never started (bind failure); it
 * completes at once then. Calls still running after a grace period are
 * cancelled, which also cancels their forwarded calls (propagation). */
static void stop_server(struct server *srv)
{
	gpr_timespec grace = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					  gpr_time_from_seconds(5, GPR_TIMESPAN));
	int tag;
	grpc_event ev;

	grpc_server_shutdown_and_notify(srv->server, srv->shutdown_cq, &tag);
	ev = grpc_completion_queue_pluck(srv->shutdown_cq, &tag, grace, NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		grpc_server_cancel_all_calls(srv->server);
		grpc_completion_queue_pluck(srv->shutdown_cq, &tag,
					    gpr_inf_future(GPR_CLOCK_REALTIME),
					    NULL);
	}
}

static void destroy_server(struct server *srv, int started_workers)
{
	for (int i = 0; i < started_workers; i++)
		pthread_join(srv->workers[i].tid, NULL);
	if (srv->server)
		grpc_server_destroy(srv->server);
	for (int i = 0; i < srv->nworkers; i++) {
		drain(srv->workers[i].cq, 0);
		drain(srv->workers[i].fwd_cq, 1);
	}
	drain(srv->shutdown_cq, 1);
	arith_peer_close(&srv->next);
	free(srv->workers);
}

/* Every queue passed to request_*_call or shutdown_and_notify must be
 * registered before grpc_server_start. */
static int create_server(struct server *srv, const struct arith_opts *o)
{
	memset(srv, 0, sizeof(*srv));
	srv->o = o;
	/* One more thread than --workers: the last rejects unknown methods. */
	srv->workers = calloc((size_t)o->workers + 1, sizeof(*srv->workers));
	if (!srv->workers)
		return -ENOMEM;
	srv->nworkers = o->workers + 1;
	/* gRPC sets SO_REUSEPORT by default, which lets a second server bind a
	 * port that is already taken and silently share its calls; we want
	 * "address in use" instead. */
	grpc_arg no_reuse = { .type = GRPC_ARG_INTEGER,
			      .key = (char *)GRPC_ARG_ALLOW_REUSEPORT,
			      .value.integer = 0 };
	grpc_channel_args args = { .num_args = 1, .args = &no_reuse };

	srv->server = grpc_server_create(&args, NULL);
	srv->method = grpc_server_register_method(
		srv->server, ARITH_METHOD, NULL,
		GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
	srv->shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_server_register_completion_queue(srv->server, srv->shutdown_cq,
					      NULL);
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];

		w->srv = srv;
		w->cq = grpc_completion_queue_create_for_next(NULL);
		w->fwd_cq = grpc_completion_queue_create_for_pluck(NULL);
		grpc_server_register_completion_queue(srv->server, w->cq, NULL);
	}
	if (o->next_server && arith_peer_open(&srv->next, o->next_target) < 0)
		return -ENOMEM;
	return 0;
}

/* grpc_server_add_http2_port returns the bound port, so --listen-addr :0
 * works; we report it in the form the user wrote, for scripts to read. */
static int bind_port(struct server *srv, const struct arith_opts *o)
{
	grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
	const char *colon = strrchr(o->listen_addr, ':');
	int port;

	port = grpc_server_add_http2_port(srv->server, o->listen_target, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		fprintf(stderr, "arith: cannot listen on %s: address in use "
				"or not valid\n", o->listen_addr);
		return -EADDRINUSE;
	}
	fprintf(stderr, "listening on %.*s:%d\n",
		colon ? (int)(colon - o->listen_addr) : 0, o->listen_addr,
		port);
	return 0;
}

static void wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) == 0)
		fprintf(stderr, "shutting down on %s\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
}

int arith_run_server(const struct arith_opts *o)
{
	struct server srv;
	int started = 0, rc = ARITH_EXIT_OK;

	if (create_server(&srv, o) < 0) {
		fprintf(stderr, "arith: out of memory\n");
		rc = ARITH_EXIT_LISTEN;
		goto out;
	}
	if (bind_port(&srv, o) < 0) {
		rc = ARITH_EXIT_LISTEN;
		goto out;
	}
	grpc_server_start(srv.server);
	for (; started < srv.nworkers; started++)
		if (pthread_create(&srv.workers[started].tid, NULL,
				   started == srv.nworkers - 1 ? reject_main
								: worker_main,
				   &srv.workers[started]) != 0)
			break;
	if (started == 0) {
		fprintf(stderr, "arith: cannot start worker threads\n");
		rc = ARITH_EXIT_LISTEN;
	} else {
		wait_for_signal();
	}
out:
	if (srv.server)
		stop_server(&srv);
	destroy_server(&srv, started);
	return rc;
}
