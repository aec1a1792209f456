#include "viewcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The condensed view of a million events takes most of a second of CPU,
 * and a user goes back and forth between it and a thread of it. */
#define CACHED 8
#define CACHE_MAX_ANSWER (1u << 20)

static struct cached {
  int64_t task, total, version;
  char *json;
  size_t len;
  uint64_t used;
} cache[CACHED];
static uint64_t cache_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int xt__viewcache_get(int64_t task, int64_t total, int64_t version, xt__buf *out) {
  int hit = 0;
  pthread_mutex_lock(&cache_lock);
  for (int i = 0; i < CACHED && !hit; i++) {
    struct cached *e = &cache[i];
    if (e->json && e->task == task && e->total == total && e->version == version) {
      xt__buf_put(out, e->json, e->len);
      e->used = ++cache_clock;
      hit = 1;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  return hit;
}

void xt__viewcache_put(int64_t task, int64_t total, int64_t version, const char *json, size_t len) {
  char *copy = len <= CACHE_MAX_ANSWER ? malloc(len) : NULL;
  if (!copy) return;
  memcpy(copy, json, len);
  pthread_mutex_lock(&cache_lock);
  struct cached *victim = &cache[0];
  for (int i = 0; i < CACHED; i++) {
    if (cache[i].json && cache[i].task == task) {
      victim = &cache[i]; /* an older state of the same task */
      break;
    }
    if (!cache[i].json || cache[i].used < victim->used) victim = &cache[i];
  }
  free(victim->json);
  *victim = (struct cached){task, total, version, copy, len, ++cache_clock};
  pthread_mutex_unlock(&cache_lock);
}
