/* Calling the next hop: the client mode (--in) and a server's forwarding both
 * go through arith_call.
 *
 * A unary call on gRPC core is one batch of six ops (send initial metadata,
 * send the message, half-close, receive initial metadata, receive the
 * message, receive the status) completed by one tag. We wait for that tag
 * with grpc_completion_queue_pluck on a queue the calling thread owns, so
 * concurrent callers never see each other's completions and no dispatcher
 * thread is needed. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "arith.h"

int arith_peer_open(struct arith_peer *p, const char *target)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();

	p->channel = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	if (!p->channel)
		return -ENOMEM;
	/* Registering the method once lets every call skip interning the
	 * path; it is what grpc++ does for generated stubs too. The strings
	 * must outlive the channel, hence the literal. */
	p->method = grpc_channel_register_call(p->channel, ARITH_METHOD, NULL,
					       NULL);
	return 0;
}

void arith_peer_close(struct arith_peer *p)
{
	if (p->channel)
		grpc_channel_destroy(p->channel);
	p->channel = NULL;
}

void arith_result_free(struct arith_result *r)
{
	free(r->details);
	r->details = NULL;
}

static void fail(struct arith_result *r, grpc_status_code code,
		 const char *msg)
{
	r->status = code;
	r->details = strdup(msg);
}

/* parent is the server call being served, or NULL for a client. With a
 * parent, gRPC propagates its deadline (ours is then the earlier of the two)
 * and its cancellation, so a caller that gives up stops the whole chain. */
void arith_call(struct arith_peer *p, grpc_completion_queue *cq,
		grpc_call *parent, int64_t deadline_ms, int64_t in,
		struct arith_result *r)
{
	gpr_timespec deadline = gpr_time_add(
		gpr_now(GPR_CLOCK_MONOTONIC),
		gpr_time_from_millis(deadline_ms, GPR_TIMESPAN));
	grpc_metadata_array initial_md, trailing_md;
	grpc_byte_buffer *request, *reply = NULL;
	grpc_slice details = grpc_empty_slice();
	const char *error_string = NULL;
	grpc_op ops[6];
	grpc_call *call;
	grpc_call_error err;
	grpc_event ev;
	int tag;

	memset(r, 0, sizeof(*r));
	call = grpc_channel_create_registered_call(
		p->channel, parent, parent ? GRPC_PROPAGATE_DEFAULTS : 0, cq,
		p->method, deadline, NULL);
	if (!call) {
		fail(r, GRPC_STATUS_INTERNAL, "cannot create call");
		return;
	}
	request = arith_msg_encode(in);
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = request;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &reply;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &r->status;
	ops[5].data.recv_status_on_client.status_details = &details;
	ops[5].data.recv_status_on_client.error_string = &error_string;

	/* The tag only has to be unique on this queue while the batch is in
	 * flight; a stack address is. */
	err = grpc_call_start_batch(call, ops, 6, &tag, NULL);
	if (err != GRPC_CALL_OK) {
		fail(r, GRPC_STATUS_INTERNAL, grpc_call_error_to_string(err));
		goto out;
	}
	/* No timeout here: the call's deadline guarantees the batch ends, and
	 * a batch with RECV_STATUS_ON_CLIENT always completes successfully
	 * (failures are reported in the status, not in ev.success). */
	ev = grpc_completion_queue_pluck(cq, &tag,
					 gpr_inf_future(GPR_CLOCK_REALTIME),
					 NULL);
	if (ev.type != GRPC_OP_COMPLETE || !ev.success) {
		fail(r, GRPC_STATUS_INTERNAL, "call batch did not complete");
		goto out;
	}
	if (r->status != GRPC_STATUS_OK) {
		r->details = arith_slice_strdup(details);
	} else if (arith_msg_decode(reply, &r->value) < 0) {
		fail(r, GRPC_STATUS_INTERNAL, "reply is not a valid Int");
	}
out:
	grpc_slice_unref(details);
	gpr_free((void *)error_string);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	grpc_byte_buffer_destroy(request);
	if (reply)
		grpc_byte_buffer_destroy(reply);
	grpc_call_unref(call);
}

struct client_thread {
	pthread_t tid;
	const struct arith_opts *o;
	struct arith_peer *peer;
	int64_t first;             /* first input of this thread */
	int64_t *latency_us;       /* one entry per call */
	int failures;
};

static int64_t now_us(void)
{
	gpr_timespec t = gpr_now(GPR_CLOCK_MONOTONIC);

	return t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void *client_main(void *arg)
{
	struct client_thread *t = arg;
	const struct arith_opts *o = t->o;
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	int single = o->threads == 1 && o->count == 1;

	for (int64_t i = 0; i < o->count; i++) {
		/* Wrapping addition: --in near INT64_MAX with --count must
		 * not be undefined behaviour. */
		int64_t in = (int64_t)((uint64_t)t->first + (uint64_t)i);
		struct arith_result r;
		int64_t start = now_us();

		fprintf(stderr, "passing --in (%" PRId64 ") to %s\n", in,
			o->next_server);
		arith_call(t->peer, cq, NULL, o->deadline_ms, in, &r);
		t->latency_us[i] = now_us() - start;
		if (r.status != GRPC_STATUS_OK) {
			fprintf(stderr, "call to %s failed: %s: %s\n",
				o->next_server, arith_status_name(r.status),
				r.details ? r.details : "");
			t->failures++;
		} else if (single) {
			printf("Got value %" PRId64 "\n", r.value);
		} else {
			printf("Got value %" PRId64 " for --in %" PRId64 "\n",
			       r.value, in);
		}
		arith_result_free(&r);
	}
	/* A pluck queue must be shut down and drained before destruction;
	 * nothing is pending on it, so one pluck returns SHUTDOWN. */
	grpc_completion_queue_shutdown(cq);
	grpc_completion_queue_pluck(cq, NULL,
				    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_completion_queue_destroy(cq);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* With --threads/--count the client doubles as a load generator: one line of
 * throughput and latency percentiles, for the benchmark. */
static void report(struct client_thread *t, int n, int64_t count,
		   int64_t elapsed_us)
{
	size_t total = (size_t)n * (size_t)count, k = 0;
	int64_t *all = malloc(total * sizeof(*all));

	if (!all)
		return;
	for (int i = 0; i < n; i++)
		for (int64_t j = 0; j < count; j++)
			all[k++] = t[i].latency_us[j];
	qsort(all, total, sizeof(*all), cmp_i64);
	fprintf(stderr,
		"completed %zu calls in %.3f s: %.0f calls/s, latency p50 %"
		PRId64 " us, p99 %" PRId64 " us\n", total, elapsed_us / 1e6,
		total * 1e6 / (elapsed_us ? elapsed_us : 1), all[total / 2],
		all[(total * 99) / 100 < total ? (total * 99) / 100 : total - 1]);
	free(all);
}

static void thread_init(struct client_thread *t, const struct arith_opts *o,
			struct arith_peer *peer, int i)
{
	t->o = o;
	t->peer = peer;
	t->first = (int64_t)((uint64_t)o->in +
			     (uint64_t)i * (uint64_t)o->count);
	t->latency_us = calloc((size_t)o->count, sizeof(int64_t));
}

/* Returns how many threads ran. A single caller stays on the main thread, so
 * the program is the plain sequence a reader of its log expects. */
static int run_threads(struct client_thread *t, const struct arith_opts *o,
		       struct arith_peer *peer)
{
	int started = 0;

	for (int i = 0; i < o->threads; i++) {
		thread_init(&t[i], o, peer, i);
		if (!t[i].latency_us) {
			fprintf(stderr, "arith: out of memory\n");
			break;
		}
		if (o->threads == 1) {
			client_main(&t[i]);
			return 1;
		}
		if (pthread_create(&t[i].tid, NULL, client_main, &t[i]) != 0) {
			fprintf(stderr, "arith: cannot start client thread\n");
			free(t[i].latency_us);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
	return started;
}

int arith_run_client(const struct arith_opts *o)
{
	struct arith_peer peer;
	struct client_thread *t = calloc((size_t)o->threads, sizeof(*t));
	int failures = 0, ran;
	int64_t start;

	if (!t || arith_peer_open(&peer, o->next_target) < 0) {
		fprintf(stderr, "arith: out of memory\n");
		free(t);
		return ARITH_EXIT_CALL_FAILED;
	}
	start = now_us();
	ran = run_threads(t, o, &peer);
	if (ran < o->threads)
		failures++;
	for (int i = 0; i < ran; i++)
		failures += t[i].failures;
	if (ran == o->threads && o->threads * o->count > 1)
		report(t, ran, o->count, now_us() - start);
	for (int i = 0; i < ran; i++)
		free(t[i].latency_us);
	free(t);
	fflush(stdout);
	arith_peer_close(&peer);
	return failures ? ARITH_EXIT_CALL_FAILED : ARITH_EXIT_OK;
}
