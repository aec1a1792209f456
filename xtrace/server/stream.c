#include "stream.h"

#include <errno.h>
#include <string.h>

#include "report.h"
#include "stats.h"
#include "xtrace/frame.h"

long xt__stream_consume(const uint8_t *buf, size_t len, const xt__stream_sink *sink, size_t *frames) {
  size_t off = 0, nframes = 0;
  long rc = 0;
  while (off < len) {
    xt_frame f;
    long n = xt_frame_parse(buf + off, len - off, &f);
    if (n < 0) { /* counted by the caller, which drops the connection */
      rc = n;
      break;
    }
    if (n == 0) break;
    off += (size_t)n;
    nframes++;
    if (f.topic_len != XT_FRAME_TOPIC_LEN || memcmp(f.topic, XT_FRAME_TOPIC, XT_FRAME_TOPIC_LEN) != 0) {
      xt__stats_count(XT_REJ_WRONG_TOPIC);
      continue;
    }
    xt__arena *a = sink->arena ? sink->arena(sink->arg) : NULL;
    xt__arena_mark before = a ? xt__arena_here(a) : (xt__arena_mark){NULL, 0};
    Pubsub__XTraceReportv4 *m;
    int d = xt__report_decode(f.msg, f.msg_len, a, &m);
    if (d < 0) {
      xt__stats_count(d == -ENODATA ? XT_REJ_NO_TASK : XT_REJ_BAD_PROTOBUF);
      continue;
    }
    int r = sink->report(sink->arg, m, f.msg, f.msg_len);
    if (r != 1) xt__report_discard(m, a, before);
    if (r < 0) {
      rc = r;
      break;
    }
  }
  if (frames) *frames = nframes;
  return rc < 0 ? rc : (long)off;
}
