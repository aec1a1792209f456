#include "stats.h"

xt__stats xt__g_stats;

static const char *const names[XT_REJ_COUNT] = {
    [XT_REJ_FRAME_TOO_LARGE] = "frame_too_large", [XT_REJ_BAD_PROTOBUF] = "bad_protobuf",
    [XT_REJ_NO_TASK] = "no_task_id",              [XT_REJ_WRONG_TOPIC] = "wrong_topic",
    [XT_REJ_TOO_MANY_CONNS] = "too_many_connections", [XT_REJ_MEMORY_LIMIT] = "memory_limit",
    [XT_REJ_STALLED] = "stalled",                 [XT_REJ_NOT_ALLOWED] = "network_not_allowed",
};

const char *xt__reject_name(xt__reject r) { return r < XT_REJ_COUNT ? names[r] : "unknown"; }

void xt__stats_count(xt__reject r) {
  if (r < XT_REJ_COUNT) atomic_fetch_add_explicit(&xt__g_stats.rejected[r], 1, memory_order_relaxed);
}

#define LOAD(f) atomic_load_explicit(&xt__g_stats.f, memory_order_relaxed)

void xt__stats_json(xt__buf *b) {
  xt__buf_printf(b, "{\"received\":%llu,\"stored\":%llu,\"batches\":%llu,\"connections\":%lld,"
                    "\"accepted\":%llu,\"buffered_bytes\":%lld,\"copied_bytes\":%llu,\"search_index_lag\":%lld,"
                    "\"store_errors\":%llu,\"reports_lost\":%llu,\"store_failing\":%s,\"tasks_deleted\":%llu,\"partitions_dropped\":%llu,\"rejected\":{",
                 (unsigned long long)LOAD(received), (unsigned long long)LOAD(stored),
                 (unsigned long long)LOAD(batches), (long long)LOAD(connections),
                 (unsigned long long)LOAD(accepted), (long long)LOAD(buffered), (unsigned long long)LOAD(copied), (long long)LOAD(search_lag), (unsigned long long)LOAD(store_errors),
                 (unsigned long long)LOAD(reports_lost), LOAD(store_failing) ? "true" : "false", (unsigned long long)LOAD(tasks_deleted),
                 (unsigned long long)LOAD(partitions_dropped));
  for (int r = 0; r < XT_REJ_COUNT; r++)
    xt__buf_printf(b, "%s\"%s\":%llu", r ? "," : "", names[r], (unsigned long long)LOAD(rejected[r]));
  xt__buf_puts(b, "}}");
}
