/* The few fields of a stored report that place it in a task's graph (event,
 * parents, host, process, thread), read straight from the protobuf bytes.
 * Walking a task of a million reports with protobuf-c's unpack allocates a
 * message per report; these views need six fields and no allocation. */
#ifndef XT_SERVER_PEEK_H
#define XT_SERVER_PEEK_H

#include <stddef.h>
#include <stdint.h>

/* Parents past this many are counted but not kept (the preload collapses a
 * larger set into a join event). */
#define XT_PEEK_MAX_PARENTS 16

typedef struct xt__report_keys {
  int64_t event_id;
  int64_t parents[XT_PEEK_MAX_PARENTS];
  size_t n_parents; /* all of them, possibly more than kept */
  const char *host, *process_name, *thread_name; /* not NUL-terminated; NULL when absent */
  uint32_t host_len, process_name_len, thread_name_len;
  int32_t process_id, thread_id; /* 0 when absent */
} xt__report_keys;

/* Reads the keys of a serialized report. Returns 0, or -EBADMSG if the
 * bytes are not well-formed protobuf. Strings point into raw. */
int xt__report_peek(const uint8_t *raw, size_t len, xt__report_keys *out);

#endif
