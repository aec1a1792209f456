/* Shared checks for the libbaggage harnesses: a decoded context must satisfy
 * the model's invariants and survive encode -> decode unchanged. Violations
 * abort so libFuzzer records them as crashes. */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baggage/baggage.h"

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                               \
    }                                                                        \
  } while (0)

static inline int fuzz_items_equal(const bg_items *a, const bg_items *b) {
  if (a->count != b->count) return 0;
  for (int i = 0; i < a->count; i++) {
    const bg_item *x = &a->item[i], *y = &b->item[i];
    if (x->key_len != y->key_len || x->value_len != y->value_len || x->props_len != y->props_len)
      return 0;
    if (memcmp(a->pool + x->key_off, b->pool + y->key_off, x->key_len) ||
        memcmp(a->pool + x->value_off, b->pool + y->value_off, x->value_len) ||
        memcmp(a->pool + x->props_off, b->pool + y->props_off, x->props_len))
      return 0;
  }
  return 1;
}

static inline int fuzz_context_equal(const bg_context *a, const bg_context *b) {
  if (a->task_id != b->task_id || a->nparents != b->nparents) return 0;
  for (uint32_t i = 0; i < a->nparents; i++)
    if (a->parents[i] != b->parents[i]) return 0;
  return fuzz_items_equal(&a->items, &b->items);
}

/* What every successfully decoded item set must look like. */
static inline void fuzz_check_items(const bg_items *it) {
  FUZZ_CHECK(it->count <= BG_MAX_ITEMS);
  FUZZ_CHECK(it->used <= BG_MAX_ITEMS_BYTES);
  size_t sum = 0;
  for (int i = 0; i < it->count; i++) {
    const bg_item *x = &it->item[i];
    FUZZ_CHECK(x->key_len > 0);
    FUZZ_CHECK((size_t)x->key_off + x->key_len <= it->used);
    FUZZ_CHECK((size_t)x->value_off + x->value_len <= it->used);
    FUZZ_CHECK((size_t)x->props_off + x->props_len <= it->used);
    sum += (size_t)x->key_len + x->value_len + x->props_len;
  }
  FUZZ_CHECK(sum == it->used); /* the pool is compact */
}

static inline void fuzz_check_context(const bg_context *c) {
  FUZZ_CHECK(c->task_id != 0 && c->task_id <= (uint64_t)BG_ID_MAX);
  FUZZ_CHECK(c->nparents <= BG_MAX_PARENTS);
  for (uint32_t i = 0; i < c->nparents; i++)
    FUZZ_CHECK(c->parents[i] != 0 && c->parents[i] <= (uint64_t)BG_ID_MAX);
  fuzz_check_items(&c->items);
}

static inline void fuzz_check_cleared(const bg_context *c) {
  FUZZ_CHECK(c->task_id == 0 && c->nparents == 0 && c->items.count == 0 && c->items.used == 0);
}

#endif
