/*
 * The "keys" mode of scripts/bench grpc: a preload that only carries the
 * metadata keys DESIGN.md fixes, at their real sizes, and does nothing else
 * (no events, no tables, no parsing). Each request gets what
 * XTRACE_GRPC_PROPAGATION chooses, as the preload reads it (xtrace:
 * xtrace_task_id and xtrace_event_id; w3c: traceparent; default both), and
 * each reply's status xtrace_event_id when the requests carry the xtrace
 * keys.
 * What it costs over no preload at all is what gRPC itself spends carrying
 * the keys (metadata validation, HPACK literals, the receiver's unknown-key
 * map and copies): the floor under the real shim's cost.
 *
 * It is cheaper than any correct shim: values are static slices (a real one
 * must copy, since gRPC keeps a reference after start_batch returns) and
 * the batch's shape tells requests from replies. Bench use only, with arith.
 */
#include <dlfcn.h>
#include <grpc/grpc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef grpc_call_error (*start_batch_fn)(grpc_call *, const grpc_op *, size_t, void *, void *);
typedef grpc_slice (*static_slice_fn)(const char *);

#define MAX_OPS 8
#define MAX_MD 16

static grpc_slice slice(const char *s) {
  static static_slice_fn mk;
  if (!mk)
    mk = (static_slice_fn)dlsym(RTLD_NEXT, "grpc_slice_from_static_string");
  return mk(s);
}

static void add(grpc_metadata *md, size_t *n, const char *key, const char *value) {
  memset(&md[*n], 0, sizeof md[*n]);
  md[*n].key = slice(key);
  md[*n].value = slice(value);
  ++*n;
}

enum { XTRACE = 1, W3C = 2 };

static bool has_word(const char *list, const char *word) {
  size_t wl = strlen(word);
  for (const char *p = list; *p;) {
    p += strspn(p, ", ");
    size_t n = strcspn(p, ", ");
    if (n == wl && strncasecmp(p, word, n) == 0)
      return true;
    p += n;
  }
  return false;
}

static unsigned chosen(void) {
  static unsigned keys;
  if (!keys) {
    const char *v = getenv("XTRACE_GRPC_PROPAGATION");
    keys = 0x100 | (!v || !*v ? XTRACE | W3C
                              : (has_word(v, "xtrace") ? XTRACE : 0) | (has_word(v, "w3c") ? W3C : 0));
  }
  return keys;
}

static bool is_request(const grpc_op *ops, size_t nops) {
  for (size_t i = 0; i < nops; i++)
    if (ops[i].op == GRPC_OP_SEND_CLOSE_FROM_CLIENT || ops[i].op == GRPC_OP_RECV_STATUS_ON_CLIENT)
      return true;
  return false;
}

__attribute__((visibility("default"))) grpc_call_error
grpc_call_start_batch(grpc_call *call, const grpc_op *ops, size_t nops, void *tag, void *reserved) {
  static start_batch_fn real;
  if (!real)
    real = (start_batch_fn)dlsym(RTLD_NEXT, "grpc_call_start_batch");
  if (nops > MAX_OPS)
    return real(call, ops, nops, tag, reserved);
  grpc_op copy[MAX_OPS];
  grpc_metadata initial[MAX_MD], trailing[MAX_MD];
  bool request = is_request(ops, nops);
  unsigned keys = chosen();
  memcpy(copy, ops, nops * sizeof *ops);
  for (size_t i = 0; i < nops; i++) {
    size_t n;
    if (copy[i].op == GRPC_OP_SEND_INITIAL_METADATA && request &&
        (n = copy[i].data.send_initial_metadata.count) + 3 <= MAX_MD) {
      if (n)
        memcpy(initial, copy[i].data.send_initial_metadata.metadata, n * sizeof *initial);
      if (keys & XTRACE) {
        add(initial, &n, "xtrace_task_id", "4616189618054758400");
        add(initial, &n, "xtrace_event_id", "7402035412416522561");
      }
      if (keys & W3C)
        add(initial, &n, "traceparent", "00-0000000000000000400000000000cccd-66b9a9f3c5e8d641-01");
      copy[i].data.send_initial_metadata.metadata = initial;
      copy[i].data.send_initial_metadata.count = n;
    } else if (copy[i].op == GRPC_OP_SEND_STATUS_FROM_SERVER && (keys & XTRACE) &&
               (n = copy[i].data.send_status_from_server.trailing_metadata_count) + 1 <= MAX_MD) {
      if (n)
        memcpy(trailing, copy[i].data.send_status_from_server.trailing_metadata,
               n * sizeof *trailing);
      add(trailing, &n, "xtrace_event_id", "7402035412416522561");
      copy[i].data.send_status_from_server.trailing_metadata = trailing;
      copy[i].data.send_status_from_server.trailing_metadata_count = n;
    }
  }
  return real(call, copy, nops, tag, reserved);
}
