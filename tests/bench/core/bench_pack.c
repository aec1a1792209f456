/* The reporter's encoding of one report, with the client's direct encoder
 * against protobuf-c's packer (the baseline, same run, same report): ns per
 * report, best of 5 rounds each, interleaved.
 *   bench_pack N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "xtrace_report.pb-c.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile size_t sink;

static double round_ns(const Pubsub__XTraceReportv4 *m, uint8_t *buf, size_t cap, size_t n, int direct) {
  int64_t t0 = now_ns();
  for (size_t i = 0; i < n; i++)
    sink += direct ? xt__report_pack(m, buf, cap) : pubsub__xtrace_reportv4__pack(m, buf);
  return (double)(now_ns() - t0) / (double)n;
}

int main(int argc, char **argv) {
  size_t n = argc == 2 ? strtoul(argv[1], NULL, 10) : 0;
  if (!n) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  /* A log line as the preload reports it. */
  int64_t parents[] = {0x3c1f9a2b7d4e5f60, 0x11aa22bb33cc44dd};
  char *keys[] = {"fd"}, *values[] = {"2"}, *tags[] = {"log"};
  Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
  m.has_task_id = m.has_event_id = m.has_timestamp = m.has_hrt = m.has_thread_id = 1;
  m.task_id = 0x5e3a1c9b2f4d6e70;
  m.event_id = 0x7a6b5c4d3e2f1a0b;
  m.n_parent_event_id = 2;
  m.parent_event_id = parents;
  m.timestamp = 1764672000123456;
  m.hrt = 98765432101234;
  m.thread_id = 31337;
  m.threadname = "worker-3";
  m.agent = "stderr";
  m.source = "server+0x1a2b3 (handle_request)";
  m.label = "request 1842 from 10.0.3.7: 200 OK in 3.2 ms";
  m.n_key = m.n_value = 1;
  m.key = keys;
  m.value = values;
  m.n_tags = 1;
  m.tags = tags;
  uint8_t buf[1024];
  double best[2] = {1e30, 1e30};
  for (int r = 0; r < 5; r++)
    for (int direct = 0; direct < 2; direct++) {
      double ns = round_ns(&m, buf, sizeof buf, n, direct);
      if (ns < best[direct]) best[direct] = ns;
    }
  printf("encode one report (%zu bytes): protobuf-c %.1f ns, direct %.1f ns, ratio %.2f\n",
         pubsub__xtrace_reportv4__get_packed_size(&m), best[0], best[1], best[1] / best[0]);
  return 0;
}
