/* Reporter-thread side of an event: the facts every report shares (host,
 * process, command line), resolving a caller address to a source location,
 * and encoding a ring record as a framed X-Trace v4 report. */
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "client.h"
#include "xtrace/frame.h"
#include "xtrace_report.pb-c.h"

#define MAX_FIELDS 64

static struct {
  char host[256];
  char cmdline[4096];
  int32_t pid;
  /* host, process_id and process_name as protobuf fields, packed once:
   * they are the same in every report of the process, and protobuf lets a
   * message's fields come in any order, so they are appended as bytes. */
  uint8_t packed[4096 + 256 + 32];
  size_t packed_len;
} proc;

/* A report with no field set. Not protobuf-c's INIT macro: that refers to
 * the message descriptor, and with it the whole protobuf-c library, which
 * every traced process would then load for nothing: xt__report_pack
 * encodes without it. */
static const Pubsub__XTraceReportv4 no_fields;

const char *xt_hostname(void) { return proc.host; }

static size_t read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t n = 0;
  while (n < cap) {
    ssize_t r = read(fd, buf + n, cap - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  return n;
}

void xt__report_proc_init(void) {
  if (gethostname(proc.host, sizeof proc.host - 1) != 0) strlcpy(proc.host, "unknown", sizeof proc.host);
  proc.pid = (int32_t)getpid();
  /* /proc/self/cmdline separates arguments with NULs; a report wants one line. */
  size_t n = read_file("/proc/self/cmdline", proc.cmdline, sizeof proc.cmdline - 1);
  while (n > 0 && proc.cmdline[n - 1] == '\0') n--;
  for (size_t i = 0; i < n; i++)
    if (proc.cmdline[i] == '\0') proc.cmdline[i] = ' ';
  proc.cmdline[n] = '\0';
  Pubsub__XTraceReportv4 r = no_fields;
  r.host = proc.host;
  r.has_process_id = 1;
  r.process_id = proc.pid;
  r.process_name = proc.cmdline;
  /* Fits: each string is bounded by its array, plus a few bytes of tags,
   * lengths and the pid. */
  proc.packed_len = xt__report_pack(&r, proc.packed, sizeof proc.packed);
}

/* dladdr takes the loader's lock, so it runs here and not on the caller's
 * thread; a small direct-mapped cache keeps a hot log site cheap. */
#define SOURCE_CACHE 256
static struct {
  const void *addr;
  char text[160];
} source_cache[SOURCE_CACHE];

static const char *resolve_source(const void *addr) {
  size_t slot = ((uintptr_t)addr >> 2) % SOURCE_CACHE;
  if (source_cache[slot].addr == addr) return source_cache[slot].text;
  char *out = source_cache[slot].text;
  Dl_info info;
  if (dladdr(addr, &info) && info.dli_fname) {
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    uintptr_t off = (uintptr_t)addr - (uintptr_t)info.dli_fbase;
    if (info.dli_sname)
      snprintf(out, sizeof source_cache[slot].text, "%s+0x%" PRIxPTR " (%s)", base, off, info.dli_sname);
    else
      snprintf(out, sizeof source_cache[slot].text, "%s+0x%" PRIxPTR, base, off);
  } else {
    snprintf(out, sizeof source_cache[slot].text, "0x%" PRIxPTR, (uintptr_t)addr);
  }
  source_cache[slot].addr = addr;
  return out;
}

/* Names of threads that never set one through the library: the kernel's. */
#define NAME_CACHE 128
static struct {
  int32_t tid;
  char name[16];
} name_cache[NAME_CACHE];

static const char *thread_name(int32_t tid, const char *recorded) {
  if (recorded[0]) return recorded;
  size_t slot = (uint32_t)tid % NAME_CACHE;
  if (name_cache[slot].tid == tid) return name_cache[slot].name;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
  size_t n = read_file(path, name_cache[slot].name, sizeof name_cache[slot].name - 1);
  while (n > 0 && name_cache[slot].name[n - 1] == '\n') n--;
  name_cache[slot].name[n] = '\0';
  name_cache[slot].tid = tid;
  return name_cache[slot].name;
}

/* protobuf-c strings end at the first NUL. A record's strings are already
 * NUL-terminated in the ring and are used where they lie; one holding a NUL
 * of its own is copied into the scratch area with each NUL turned into
 * U+FFFD, instead of silently cutting the rest of the line. */
typedef struct scratch {
  char *p, *end;
} scratch;

static const char *ring_str(scratch *s, const uint8_t *src, size_t n) {
  if (!memchr(src, 0, n)) return (const char *)src;
  char *start = s->p;
  if ((size_t)(s->end - s->p) < n * 3 + 1) return "";
  for (size_t i = 0; i < n; i++) {
    if (src[i]) {
      *s->p++ = (char)src[i];
    } else {
      memcpy(s->p, "\xEF\xBF\xBD", 3);
      s->p += 3;
    }
  }
  *s->p++ = '\0';
  return start;
}

/* A report's strings and where the record's cursor is. */
typedef struct reader {
  const uint8_t *p;
  scratch s;
} reader;

static char *take(reader *rd, size_t n) {
  const char *str = ring_str(&rd->s, rd->p, n);
  rd->p += n + 1;
  return (char *)str;
}

static char *take_counted(reader *rd) {
  uint16_t n;
  memcpy(&n, rd->p, sizeof n);
  rd->p += sizeof n;
  return take(rd, n);
}

/* Packs the report and appends the process's own fields; 0 when the frame
 * does not fit in cap. */
static size_t frame(const Pubsub__XTraceReportv4 *r, uint8_t *out, size_t cap) {
  size_t fixed = XT_FRAME_HEADER_LEN + proc.packed_len;
  if (fixed > cap) return 0;
  size_t len = xt__report_pack(r, out + XT_FRAME_HEADER_LEN, cap - fixed);
  if (len == SIZE_MAX) return 0;
  memcpy(out + XT_FRAME_HEADER_LEN + len, proc.packed, proc.packed_len);
  xt_frame_header(out, (uint32_t)(len + proc.packed_len));
  return len + fixed;
}

size_t xt__report_encode(const xt__rec *rec, uint32_t len, int64_t wall_offset_ns, uint8_t *out,
                         size_t cap) {
  static char scratch_buf[XT__SCRATCH_BYTES];
  reader rd = {(const uint8_t *)(rec + 1), {scratch_buf, scratch_buf + sizeof scratch_buf}};
  const uint8_t *end = (const uint8_t *)rec + len;
  Pubsub__XTraceReportv4 r = no_fields;
  int64_t parents[BG_MAX_PARENTS];
  char *keys[MAX_FIELDS], *values[MAX_FIELDS], *tags[MAX_FIELDS];

  if (rec->nparents > BG_MAX_PARENTS || rec->nkv > MAX_FIELDS || rec->ntags > MAX_FIELDS) return 0;
  r.has_task_id = r.has_event_id = 1;
  r.task_id = (int64_t)rec->task_id;
  r.event_id = (int64_t)rec->event_id;
  memcpy(parents, rd.p, rec->nparents * sizeof(uint64_t));
  rd.p += rec->nparents * sizeof(uint64_t);
  r.n_parent_event_id = rec->nparents;
  r.parent_event_id = parents;
  /* Microseconds, as the Go client sends them; readers tell ms and µs apart
   * by magnitude. */
  r.has_timestamp = r.has_hrt = 1;
  r.timestamp = (rec->mono_ns + wall_offset_ns) / 1000;
  r.hrt = rec->mono_ns;
  r.has_thread_id = 1;
  r.thread_id = rec->tid;
  r.threadname = (char *)thread_name(rec->tid, rec->thread_name);
  r.agent = take(&rd, rec->agent_len);
  r.source = take(&rd, rec->source_len);
  if (rec->caller) {
    r.source = (char *)resolve_source(rec->caller);
  }
  r.label = take(&rd, rec->label_len);
  for (size_t i = 0; i < rec->nkv; i++) {
    keys[i] = take_counted(&rd);
    values[i] = take_counted(&rd);
  }
  for (size_t i = 0; i < rec->ntags; i++) tags[i] = take_counted(&rd);
  if (rd.p > end) return 0; /* cannot happen for a record this client wrote */
  r.n_key = r.n_value = rec->nkv;
  r.key = keys;
  r.value = values;
  r.n_tags = rec->ntags;
  r.tags = tags;
  return frame(&r, out, cap);
}

/* The marker for events lost to a full buffer: in the task and on the
 * thread of the last drop, a child of that thread's last recorded event, so
 * it shows where the gap is instead of floating as a root of its own. */
size_t xt__report_encode_dropped(uint64_t task_id, uint64_t parent_id, int32_t tid, uint64_t count,
                                 uint8_t *out, size_t cap) {
  char label[64], value[24];
  snprintf(label, sizeof label, "xtrace dropped %" PRIu64 " events", count);
  snprintf(value, sizeof value, "%" PRIu64, count);
  char *key = "dropped", *val = value, *tag = "dropped";
  int64_t parent = (int64_t)parent_id;
  Pubsub__XTraceReportv4 r = no_fields;
  r.has_task_id = r.has_event_id = r.has_timestamp = r.has_hrt = 1;
  r.task_id = (int64_t)task_id;
  r.event_id = (int64_t)bg_id_fresh();
  if (parent_id) {
    r.n_parent_event_id = 1;
    r.parent_event_id = &parent;
  }
  if (tid) {
    r.has_thread_id = 1;
    r.thread_id = tid;
    r.threadname = (char *)thread_name(tid, "");
  }
  r.hrt = xt__now_mono_ns();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  r.timestamp = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
  r.agent = "xtrace";
  r.label = label;
  r.n_key = r.n_value = 1;
  r.key = &key;
  r.value = &val;
  r.n_tags = 1;
  r.tags = &tag;
  return frame(&r, out, cap);
}
