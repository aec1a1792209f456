/* A block arena for the decoded reports of one batch. protobuf-c's unpack
 * makes a malloc for every string and repeated field of every report, and
 * freeing them again was as costly: together the largest share of the ingest
 * thread's time. Here an allocation is a pointer bump in blocks that never
 * move (so pointers into them stay valid while the batch travels to the
 * writer), free is a no-op, and a reset rewinds every block for the next
 * batch and keeps it, so in steady state decoding makes no malloc call.
 *
 * Not thread-safe: one thread uses an arena at a time; the queue's mutex
 * orders the hand-over to the writer and back. Under ASan, memory that is
 * not allocated (past the end of each allocation, and everything after a
 * reset or rewind) is poisoned, so use after reset is caught as it would be
 * with malloc and free. */
#ifndef XT_SERVER_ARENA_H
#define XT_SERVER_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct xt__arena_block xt__arena_block;

typedef struct xt__arena {
  /* Hands this arena to protobuf-c's unpack: allocator_data is the arena
   * itself, so the arena must not move once initialised. */
  ProtobufCAllocator pb;
  xt__arena_block *head;
  xt__arena_block *cur; /* being filled; the blocks after it are empty */
  size_t used;          /* bytes handed out since the last reset */
  size_t reserved;      /* bytes of all blocks, headers included */
} xt__arena;

/* A position in an arena: rewinding to it gives back everything allocated
 * after it. Valid until the next reset. */
typedef struct xt__arena_mark {
  xt__arena_block *block;
  size_t used;
} xt__arena_mark;

void xt__arena_init(xt__arena *a);
/* Frees every block; the arena can be initialised again. */
void xt__arena_destroy(xt__arena *a);
/* n bytes aligned for any type (n == 0 gives a valid pointer), or NULL
 * without memory. */
void *xt__arena_alloc(xt__arena *a, size_t n);
/* Gives back everything and keeps the blocks for reuse. */
void xt__arena_reset(xt__arena *a);
xt__arena_mark xt__arena_here(const xt__arena *a);
void xt__arena_rewind(xt__arena *a, xt__arena_mark m);

#endif
