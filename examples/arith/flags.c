/* Command-line flags, accepted the way Go's flag package accepts them
 * (-name value, --name value, -name=value) so that command lines written for
 * the reference Go example work unchanged. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arith.h"

void arith_usage(FILE *f)
{
	fprintf(f,
		"usage: arith --in N --next-server ADDR [--threads T --count C]\n"
		"       arith --listen-addr ADDR (--add|--sub|--mul|--div) N\n"
		"             [--next-server ADDR] [--workers W]\n"
		"common: [--deadline-ms MS]\n"
		"ADDR is HOST:PORT, or :PORT for this host; --listen-addr :0 picks a\n"
		"free port and reports it as 'listening on :PORT'.\n");
}

static int parse_int(const char *name, const char *s, int64_t min,
		     int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr,
			"arith: --%s needs an integer in [%" PRId64 ", %" PRId64
			"], got '%s'\n", name, min, max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* ":PORT" follows the reference example: the local host. When dialling we use
 * 127.0.0.1 rather than "localhost" so no resolver is involved and the dial
 * works whether or not the host has IPv6; when listening we bind the IPv6
 * wildcard, which gRPC makes dual-stack (or falls back to 0.0.0.0), so a
 * client dialling either 127.0.0.1 or ::1 reaches us. Anything else is handed
 * to gRPC as written. */
static int resolve_addr(const char *name, const char *addr, int listening,
			char *out, size_t outlen)
{
	int64_t port;

	if (addr[0] == '\0') {
		fprintf(stderr, "arith: --%s must not be empty\n", name);
		return -EINVAL;
	}
	if (addr[0] != ':') {
		if ((size_t)snprintf(out, outlen, "%s", addr) >= outlen) {
			fprintf(stderr, "arith: --%s is too long\n", name);
			return -EINVAL;
		}
		return 0;
	}
	if (parse_int(name, addr + 1, listening ? 0 : 1, 65535, &port) < 0)
		return -EINVAL;
	snprintf(out, outlen, "%s:%" PRId64, listening ? "[::]" : "127.0.0.1",
		 port);
	return 0;
}

static int set_op(struct arith_opts *o, enum arith_op op, const char *name,
		  const char *val)
{
	if (o->op != ARITH_NONE || o->has_in) {
		fprintf(stderr, "arith: give exactly one of --add, --sub, "
				"--mul, --div, --in (second one: --%s)\n", name);
		return -EINVAL;
	}
	if (op == ARITH_NONE) {
		o->has_in = 1;
		return parse_int(name, val, INT64_MIN, INT64_MAX, &o->in);
	}
	o->op = op;
	return parse_int(name, val, INT64_MIN, INT64_MAX, &o->operand);
}

static int set_flag(struct arith_opts *o, const char *name, const char *val)
{
	static const struct { const char *name; enum arith_op op; } ops[] = {
		{ "add", ARITH_ADD }, { "sub", ARITH_SUB }, { "mul", ARITH_MUL },
		{ "div", ARITH_DIV }, { "in", ARITH_NONE },
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(name, ops[i].name) == 0)
			return set_op(o, ops[i].op, name, val);
	if (strcmp(name, "listen-addr") == 0) {
		o->listen_addr = val;
		return 0;
	}
	if (strcmp(name, "next-server") == 0) {
		o->next_server = val;
		return 0;
	}
	if (strcmp(name, "workers") == 0) {
		if (parse_int(name, val, 1, 256, &v) < 0)
			return -EINVAL;
		o->workers = (int)v;
		return 0;
	}
	if (strcmp(name, "threads") == 0) {
		if (parse_int(name, val, 1, 256, &v) < 0)
			return -EINVAL;
		o->threads = (int)v;
		return 0;
	}
	if (strcmp(name, "count") == 0)
		return parse_int(name, val, 1, 100000000, &o->count);
	if (strcmp(name, "deadline-ms") == 0)
		return parse_int(name, val, 1, 86400000, &o->deadline_ms);
	return -EINVAL; /* unreachable: known() vetted the name */
}

/* Cross-flag rules, checked once everything is read so the message names the
 * real problem rather than whichever flag happened to come first. */
static int check(struct arith_opts *o)
{
	if (o->op == ARITH_NONE && !o->has_in) {
		fprintf(stderr, "arith: give one of --add, --sub, --mul, --div "
				"(server) or --in (client)\n");
		return -EINVAL;
	}
	if (o->has_in && !o->next_server) {
		fprintf(stderr, "arith: --in needs --next-server\n");
		return -EINVAL;
	}
	if (o->has_in && o->listen_addr) {
		fprintf(stderr, "arith: a client (--in) does not take "
				"--listen-addr\n");
		return -EINVAL;
	}
	if (!o->has_in && !o->listen_addr) {
		fprintf(stderr, "arith: a server needs --listen-addr\n");
		return -EINVAL;
	}
	if (!o->has_in && (o->threads != 1 || o->count != 1)) {
		fprintf(stderr, "arith: --threads and --count are client "
				"flags\n");
		return -EINVAL;
	}
	if (o->listen_addr &&
	    resolve_addr("listen-addr", o->listen_addr, 1, o->listen_target,
			 sizeof(o->listen_target)) < 0)
		return -EINVAL;
	if (o->next_server &&
	    resolve_addr("next-server", o->next_server, 0, o->next_target,
			 sizeof(o->next_target)) < 0)
		return -EINVAL;
	return 0;
}

static int known(const char *name)
{
	static const char *const names[] = {
		"add", "sub", "mul", "div", "in", "listen-addr", "next-server",
		"workers", "threads", "count", "deadline-ms",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Returns 0, 1 when --help was asked (usage already printed), or -EINVAL
 * after printing why. */
int arith_parse_flags(int argc, char **argv, struct arith_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workers = 8;
	o->deadline_ms = 10000;
	o->threads = 1;
	o->count = 1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val, *eq;
		char name[32];
		size_t len;

		if (arg[0] != '-' || arg[1] == '\0') {
			fprintf(stderr, "arith: unexpected argument '%s'\n",
				arg);
			return -EINVAL;
		}
		arg += arg[1] == '-' ? 2 : 1;
		if (strcmp(arg, "help") == 0 || strcmp(arg, "h") == 0) {
			arith_usage(stdout);
			return 1;
		}
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (len == 0 || len >= sizeof(name)) {
			fprintf(stderr, "arith: bad flag '%s'\n", argv[i]);
			return -EINVAL;
		}
		memcpy(name, arg, len);
		name[len] = '\0';
		if (!known(name)) {
			fprintf(stderr, "arith: unknown flag %s\n", argv[i]);
			return -EINVAL;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "arith: --%s needs a value\n", name);
			return -EINVAL;
		}
		if (set_flag(o, name, val) < 0)
			return -EINVAL;
	}
	return check(o);
}
