/* The last answers of an expensive view of a task (the condensed view),
 * kept while the task stays as it was: its count of reports and its
 * version (taskiter.h) unchanged. */
#ifndef XT_SERVER_VIEWCACHE_H
#define XT_SERVER_VIEWCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* Appends the kept answer for the task in this state and returns 1, or 0. */
int xt__viewcache_get(int64_t task, int64_t total, int64_t version, xt__buf *out);
/* Keeps a copy of an answer (up to 1 MiB; the least recently used of 8, or
 * the task's older answer, makes way). */
void xt__viewcache_put(int64_t task, int64_t total, int64_t version, const char *json, size_t len);

#endif
