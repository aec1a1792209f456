/* Helpers shared by the libbaggage unit tests. */
#ifndef TESTS_BAGGAGE_TESTUTIL_H
#define TESTS_BAGGAGE_TESTUTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "baggage/baggage.h"

/* Contexts are ~8.6 KiB: tests keep them static rather than on cmocka's stack. */

/* Semantic equality: counts, IDs in order, and each item's three strings. */
static inline void assert_items_equal(const bg_items *a, const bg_items *b) {
  assert_int_equal(a->count, b->count);
  for (int i = 0; i < a->count; i++) {
    const bg_item *x = &a->item[i], *y = &b->item[i];
    assert_int_equal(x->key_len, y->key_len);
    assert_memory_equal(a->pool + x->key_off, b->pool + y->key_off, x->key_len);
    assert_int_equal(x->value_len, y->value_len);
    if (x->value_len)
      assert_memory_equal(a->pool + x->value_off, b->pool + y->value_off, x->value_len);
    assert_int_equal(x->props_len, y->props_len);
    if (x->props_len)
      assert_memory_equal(a->pool + x->props_off, b->pool + y->props_off, x->props_len);
  }
}

static inline void assert_context_equal(const bg_context *a, const bg_context *b) {
  assert_true(a->task_id == b->task_id);
  assert_int_equal(a->nparents, b->nparents);
  for (uint32_t i = 0; i < a->nparents; i++) assert_true(a->parents[i] == b->parents[i]);
  assert_items_equal(&a->items, &b->items);
}

static inline void assert_context_cleared(const bg_context *c) {
  assert_true(c->task_id == 0);
  assert_int_equal(c->nparents, 0);
  assert_int_equal(c->items.count, 0);
  assert_int_equal(c->items.used, 0);
}

/* A context that is visibly not cleared, to prove decoders clear on error. */
static inline void fill_context(bg_context *c) {
  bg_context_clear(c);
  c->task_id = 77;
  bg_parents_set_one(c, 78);
  assert_int_equal(bg_items_set(&c->items, "k", 1, "v", 1), 0);
}

static inline void assert_item(const bg_items *items, const char *key, const char *value,
                               size_t value_len) {
  const char *v;
  size_t n;
  assert_int_equal(bg_items_get(items, key, strlen(key), &v, &n), 0);
  assert_int_equal(n, value_len);
  if (n) assert_memory_equal(v, value, n);
}

#endif
