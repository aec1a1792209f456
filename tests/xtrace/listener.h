/* A real TCP collector for the client's tests: accepts publishers, parses
 * pubsub frames and keeps the decoded reports. */
#ifndef XT_TEST_LISTENER_H
#define XT_TEST_LISTENER_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_report {
  int64_t task_id, event_id;
  int64_t parents[32];
  size_t nparents;
  int64_t timestamp, hrt;
  int32_t pid, tid;
  char *label; /* the whole label, any length */
  char host[64], agent[32], source[160], thread_name[32], process_name[256];
  size_t nkv, ntags;
  char key0[64], value0[64], tag0[32];
} test_report;

typedef struct listener listener;

/* Listens on 127.0.0.1:port (0: any free port). */
listener *listener_start(uint16_t port);
uint16_t listener_port(const listener *l);
void listener_stop(listener *l);
/* Waits until at least n reports arrived or timeout_ms passed; returns the count. */
size_t listener_wait(listener *l, size_t n, unsigned timeout_ms);
size_t listener_count(listener *l);
const test_report *listener_report(listener *l, size_t i);
size_t listener_bad_frames(listener *l);

#endif
