/*
 * Baggage items in a fixed pool. Each item's key, value and properties sit
 * next to each other in the pool, in that order, and the pool is kept compact
 * (removal shifts what follows), so `used` is exactly the bytes a copy needs.
 */
#include <string.h>

#include "baggage_int.h"

void bg_items_clear(bg_items *items) {
  items->count = 0;
  items->used = 0;
}

static int find(const bg_items *items, const char *key, size_t key_len) {
  for (int i = 0; i < items->count; i++) {
    const bg_item *it = &items->item[i];
    if (it->key_len == key_len && memcmp(items->pool + it->key_off, key, key_len) == 0) return i;
  }
  return -1;
}

static size_t value_encoded_len(const char *v, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += bg__value_byte_plain((unsigned char)v[i]) ? 1 : 3;
  return n;
}

static size_t member_encoded_len(size_t key_len, const char *value, size_t value_len,
                                 size_t props_len) {
  return key_len + 1 + value_encoded_len(value, value_len) + (props_len ? 1 + props_len : 0);
}

size_t bg__item_encoded_len(const bg_items *items, const bg_item *it) {
  return member_encoded_len(it->key_len, items->pool + it->value_off, it->value_len,
                            it->props_len);
}

size_t bg__items_encoded_len(const bg_items *items) {
  size_t n = items->count ? items->count - 1u : 0; /* the commas */
  for (int i = 0; i < items->count; i++) n += bg__item_encoded_len(items, &items->item[i]);
  return n;
}

static size_t item_span(const bg_item *it) {
  return (size_t)it->key_len + it->value_len + it->props_len;
}

/* Removes item i and closes the gap its bytes leave in the pool. */
static void drop(bg_items *items, int i) {
  bg_item *gone = &items->item[i];
  size_t off = gone->key_off, len = item_span(gone);
  memmove(items->pool + off, items->pool + off + len, items->used - off - len);
  items->used = (uint16_t)(items->used - len);
  memmove(gone, gone + 1, (size_t)(items->count - i - 1) * sizeof *gone);
  items->count--;
  for (int j = 0; j < items->count; j++) {
    bg_item *it = &items->item[j];
    if (it->key_off > off) {
      it->key_off = (uint16_t)(it->key_off - len);
      it->value_off = (uint16_t)(it->value_off - len);
      it->props_off = (uint16_t)(it->props_off - len);
    }
  }
}

/* Appends at the pool's end; value may already be in place at
 * pool + used + key_len (memmove makes that a no-op). */
static void append(bg_items *items, int slot, const char *key, size_t key_len,
                   const char *value, size_t value_len, const char *props, size_t props_len) {
  bg_item *it = &items->item[slot];
  char *p = items->pool + items->used;
  it->key_off = items->used;
  it->key_len = (uint16_t)key_len;
  it->value_off = (uint16_t)(it->key_off + key_len);
  it->value_len = (uint16_t)value_len;
  it->props_off = (uint16_t)(it->value_off + value_len);
  it->props_len = (uint16_t)props_len;
  memmove(p + key_len, value, value_len);
  memcpy(p, key, key_len);
  memcpy(p + key_len + value_len, props, props_len);
  items->used = (uint16_t)(items->used + key_len + value_len + props_len);
}

/* A replaced key moves to the end: the set is small and order only matters
 * for a stable encoding, which appending keeps. */
int bg__items_put(bg_items *items, const char *key, size_t key_len, const char *value,
                  size_t value_len, const char *props, size_t props_len) {
  if (!bg__is_token(key, key_len)) return -EINVAL;
  int old = find(items, key, key_len);
  size_t freed = old >= 0 ? item_span(&items->item[old]) : 0;
  size_t need = key_len + value_len + props_len;
  if (old < 0 && items->count >= BG_MAX_ITEMS) return -E2BIG;
  if (need > sizeof items->pool - items->used + freed) return -E2BIG;
  if (old >= 0) drop(items, old);
  append(items, items->count, key, key_len, value, value_len, props, props_len);
  items->count++;
  return 0;
}

/* The byte bound is on the W3C encoding, since that is what has to fit in a
 * header; it is checked before anything moves so a refused set is intact. */
int bg_items_set(bg_items *items, const char *key, size_t key_len, const char *value,
                 size_t value_len) {
  if (key == NULL || (value == NULL && value_len != 0)) return -EINVAL;
  if (!bg__is_token(key, key_len)) return -EINVAL;
  if (key_len > BG_MAX_ITEMS_BYTES || value_len > BG_MAX_ITEMS_BYTES) return -E2BIG;
  int old = find(items, key, key_len);
  size_t total = bg__items_encoded_len(items);
  size_t count = items->count;
  if (old >= 0) {
    total -= bg__item_encoded_len(items, &items->item[old]) + (count > 1 ? 1 : 0);
    count--;
  }
  if (count + 1 > BG_MAX_ITEMS) return -E2BIG;
  total += member_encoded_len(key_len, value ? value : "", value_len, 0) + (count ? 1 : 0);
  if (total > BG_MAX_ITEMS_BYTES) return -E2BIG;
  return bg__items_put(items, key, key_len, value ? value : "", value_len, "", 0);
}

int bg_items_get(const bg_items *items, const char *key, size_t key_len, const char **value,
                 size_t *value_len) {
  int i = key ? find(items, key, key_len) : -1;
  if (i < 0) return -ENOENT;
  *value = items->pool + items->item[i].value_off;
  *value_len = items->item[i].value_len;
  return 0;
}

int bg_items_remove(bg_items *items, const char *key, size_t key_len) {
  int i = key ? find(items, key, key_len) : -1;
  if (i < 0) return -ENOENT;
  drop(items, i);
  return 0;
}
