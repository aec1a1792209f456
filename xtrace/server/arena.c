#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define XT_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XT_ARENA_ASAN 1
#endif
#endif

#ifdef XT_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Alignment of every allocation: what malloc guarantees, since protobuf-c
 * puts messages, pointer arrays and strings here alike. malloc rounds to the
 * same 16 bytes and adds a header, so this is still denser. */
#define ALIGN alignof(max_align_t)
/* New blocks double from MIN_BLOCK to MAX_BLOCK: a batch of a few dozen
 * reports (a trickle) holds one small block, a full batch of thousands a
 * handful of large ones. An allocation larger than that gets a block its own
 * size. */
#define MIN_BLOCK (16u << 10)
#define MAX_BLOCK (1u << 20)

struct xt__arena_block {
  xt__arena_block *next;
  size_t size, used;
  max_align_t data[]; /* size bytes */
};

static unsigned char *bytes(xt__arena_block *b) { return (unsigned char *)b->data; }

static void *pb_alloc(void *arena, size_t n) { return xt__arena_alloc(arena, n); }

/* Everything comes back at reset. What unpack frees itself (its scratch
 * space for messages of many fields, a string field that appears twice)
 * stays allocated until then, which the batch's byte count includes. */
static void pb_free(void *arena, void *p) { (void)arena, (void)p; }

void xt__arena_init(xt__arena *a) {
  *a = (xt__arena){.pb = {pb_alloc, pb_free, a}};
}

void xt__arena_destroy(xt__arena *a) {
  for (xt__arena_block *b = a->head, *n; b; b = n) {
    n = b->next;
    UNPOISON(bytes(b), b->size);
    free(b);
  }
  xt__arena_init(a);
}

/* Makes the block after cur, or a new one inserted there, the current one.
 * Inserting keeps the invariant that every block after cur is empty, so a
 * large allocation never strands the reusable blocks that follow. */
static xt__arena_block *next_block(xt__arena *a, size_t need) {
  xt__arena_block *next = a->cur ? a->cur->next : a->head;
  if (next && next->size >= need) return a->cur = next;
  size_t size = MIN_BLOCK;
  if (a->cur) size = a->cur->size >= MAX_BLOCK / 2 ? MAX_BLOCK : a->cur->size * 2;
  if (size < need) size = need;
  if (size > SIZE_MAX - sizeof(xt__arena_block)) return NULL;
  xt__arena_block *b = malloc(sizeof *b + size);
  if (!b) return NULL;
  b->next = next;
  b->size = size;
  b->used = 0;
  POISON(bytes(b), size);
  if (a->cur)
    a->cur->next = b;
  else
    a->head = b;
  a->reserved += sizeof *b + size;
  return a->cur = b;
}

void *xt__arena_alloc(xt__arena *a, size_t n) {
  if (n > SIZE_MAX - ALIGN) return NULL;
  size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
  xt__arena_block *b = a->cur;
  if (!b || b->size - b->used < need) b = next_block(a, need);
  if (!b) return NULL;
  unsigned char *p = bytes(b) + b->used;
  b->used += need;
  a->used += need;
  UNPOISON(p, n);
  return p;
}

void xt__arena_reset(xt__arena *a) { xt__arena_rewind(a, (xt__arena_mark){NULL, 0}); }

xt__arena_mark xt__arena_here(const xt__arena *a) {
  return (xt__arena_mark){a->cur, a->cur ? a->cur->used : 0};
}

/* The mark's block is cur or before it (blocks are only ever inserted after
 * cur), so everything from the mark to the end of the list is cleared. */
void xt__arena_rewind(xt__arena *a, xt__arena_mark m) {
  xt__arena_block *b = m.block ? m.block : a->head;
  size_t keep = m.block ? m.used : 0;
  a->cur = b;
  for (; b; b = b->next, keep = 0) {
    POISON(bytes(b) + keep, b->used - keep);
    a->used -= b->used - keep;
    b->used = keep;
  }
}
