/*
 * A stand-in for libgrpc's C API, just enough of it for the preload's shim
 * to run against callback completion queues, which the system's gRPC
 * build never drives (it has no background poller for them). Only the
 * unit test of the shim uses it: the "core" completes operations on a
 * thread of its own, as real core does on its executor, and remembers what
 * the shim added to the metadata.
 */
#ifndef XT_TEST_FAKE_CORE_H
#define XT_TEST_FAKE_CORE_H

#include <grpc/grpc.h>

/* A channel to create calls on; the fake has no connections. */
grpc_channel *fake_channel(void);
grpc_server *fake_server(void);

/* What a client call completes with: status OK and, if event_id is not 0,
 * trailing metadata xtrace_event_id = event_id. */
void fake_set_reply_event(unsigned long long event_id);

/* Delivers a new call to the pending grpc_server_request_call, with request
 * metadata xtrace_task_id / xtrace_event_id (none when task is 0). */
void fake_deliver_call(unsigned long long task, unsigned long long event);

/* The value the shim gave a metadata key on the last client call's initial
 * metadata, or the server call's trailing metadata; "" if absent. */
const char *fake_sent_initial(const char *key);
const char *fake_sent_trailing(const char *key);

/* Waits until the core thread has run every functor handed to it. */
void fake_drain(void);

#endif
