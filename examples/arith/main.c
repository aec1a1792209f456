/* arith: one hop of the arithmetic RPC chain on gRPC's core C API.
 * See arith.h for the shape of the program and examples/README.md for its
 * flags, log lines and exit codes. */
#include <signal.h>
#include <pthread.h>

#include "arith.h"

int main(int argc, char **argv)
{
	struct arith_opts o;
	sigset_t set;
	int rc;

	rc = arith_parse_flags(argc, argv, &o);
	if (rc == 1)
		return ARITH_EXIT_OK;
	if (rc < 0) {
		arith_usage(stderr);
		return ARITH_EXIT_USAGE;
	}
	if (!o.has_in) {
		/* Blocked before grpc_init so every thread gRPC starts inherits
		 * the mask and the signals reach only the main thread's
		 * sigwait (server.c). A client keeps the default: Ctrl-C
		 * simply ends it. */
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	grpc_init();
	rc = o.has_in ? arith_run_client(&o) : arith_run_server(&o);
	/* The blocking form returns only once gRPC's own threads are gone, so
	 * the process exits with nothing of gRPC still running. */
	grpc_shutdown_blocking();
	return rc;
}
