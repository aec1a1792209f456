/* The Int message on the wire, the arithmetic itself, and status names.
 *
 * gRPC core moves opaque byte buffers; protobuf-c turns them into Main__Int.
 * The encoding is proto3: field 1 as a varint, omitted when zero, so an empty
 * payload is a valid Int with num = 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "arith.h"
#include "arith.pb-c.h"

/* An Int is at most 11 bytes (tag + 10-byte varint); anything much larger is
 * not ours, and refusing it before unpacking keeps a hostile peer from making
 * us allocate for it. Unknown fields are allowed, as proto3 requires. */
#define MAX_PAYLOAD 1024

grpc_byte_buffer *arith_msg_encode(int64_t num)
{
	Main__Int msg = MAIN__INT__INIT;
	uint8_t buf[16];
	grpc_slice s;
	grpc_byte_buffer *bb;

	msg.num = num;
	s = grpc_slice_from_copied_buffer((const char *)buf,
					  main__int__pack(&msg, buf));
	/* The byte buffer takes its own reference on the slice. */
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

int arith_msg_decode(grpc_byte_buffer *bb, int64_t *num)
{
	grpc_byte_buffer_reader rd;
	grpc_slice s;
	Main__Int *msg;

	if (!bb)
		return -ENODATA;
	if (grpc_byte_buffer_length(bb) > MAX_PAYLOAD)
		return -EMSGSIZE;
	/* Fails only for compressed buffers we cannot inflate. */
	if (!grpc_byte_buffer_reader_init(&rd, bb))
		return -EBADMSG;
	s = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	msg = main__int__unpack(NULL, GRPC_SLICE_LENGTH(s),
				GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	if (!msg)
		return -EBADMSG;
	*num = msg->num;
	main__int__free_unpacked(msg, NULL);
	return 0;
}

const char *arith_status_name(grpc_status_code code)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
		"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
		"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
		"UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
	};

	if ((unsigned)code < sizeof(names) / sizeof(names[0]))
		return names[code];
	return "UNKNOWN_CODE";
}

char *arith_slice_strdup(grpc_slice s)
{
	size_t n = GRPC_SLICE_LENGTH(s);
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, GRPC_SLICE_START_PTR(s), n);
	p[n] = '\0';
	return p;
}

char arith_op_symbol(enum arith_op op)
{
	switch (op) {
	case ARITH_ADD: return '+';
	case ARITH_SUB: return '-';
	case ARITH_MUL: return '*';
	case ARITH_DIV: return '/';
	default: return '?';
	}
}

/* Overflow wraps around, as Go's int64 arithmetic does, so the C, C++ and Go
 * servers agree on every input. The work is done in uint64_t because signed
 * overflow is undefined in C; INT64_MIN / -1 (which would trap on x86) is
 * likewise defined to wrap to INT64_MIN. Only division by zero is an error. */
int arith_apply(enum arith_op op, int64_t operand, int64_t arg, int64_t *out)
{
	uint64_t a = (uint64_t)arg, b = (uint64_t)operand;

	switch (op) {
	case ARITH_ADD: *out = (int64_t)(a + b); return 0;
	case ARITH_SUB: *out = (int64_t)(a - b); return 0;
	case ARITH_MUL: *out = (int64_t)(a * b); return 0;
	case ARITH_DIV:
		if (operand == 0)
			return -EDOM;
		if (operand == -1)
			*out = (int64_t)(0 - a);
		else
			*out = arg / operand;
		return 0;
	default:
		return -EINVAL;
	}
}
