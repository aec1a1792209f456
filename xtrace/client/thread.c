/* Where a thread's context lives. A bg_context is about 9 KiB (its items),
 * and static TLS is charged to every thread of the host program whether it
 * is traced or not: glibc carves it out of the thread's stack, so a program
 * that starts threads with a PTHREAD_STACK_MIN stack would see
 * pthread_create fail with EINVAL. Static TLS (xt__self) keeps only what the
 * event path reads on every call and a pointer; the context is mapped on the
 * thread's first need and given back when it exits.
 *
 * mmap, not malloc: the first need can come from a hook running in a signal
 * handler (a log line written there by a thread that never logged before),
 * possibly interrupting malloc itself. mmap is a plain system call, safe
 * there in practice. A thread that only reads its context (most of gRPC's
 * and the C library's own threads) never gets a block: reading an absent one
 * gives an empty context.
 *
 * Nothing here locks, so fork needs no handler: the forking thread keeps its
 * block in the child (the mapping is copied with the rest of memory), and
 * the blocks of threads that do not exist there are left alone like the
 * rest of their memory. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "client.h"

XT_TLS xt__thread xt__self;

/* What a thread without a block reads. */
static const bg_context empty;

/* Handed out for writing only when the system has no memory left: the thread
 * is marked internal, so hooks pass its calls through untraced and
 * xt_event, which reads xt__self.ctx, never records from it. Direct callers
 * of the API share it then; what they write there is lost. */
static bg_context no_memory;

/* glibc keeps the values of the first 32 keys inside the thread descriptor
 * (PTHREAD_KEY_2NDLEVEL_SIZE): pthread_setspecific on such a key is two
 * stores, safe in a signal handler. A later key would make it calloc a
 * second-level array, which is not; the library creates its key from its
 * constructor, when a process has rarely made more than a few. */
#define FIRST_LEVEL_KEYS 32

static pthread_key_t key;
static atomic_bool key_ok;

/* mmap and munmap round it up to whole pages alike. */
#define BLOCK_BYTES sizeof(bg_context)

/* Blocks of exited threads, kept for the next ones: a program that starts
 * and ends threads at a high rate would otherwise pay an mmap, a page fault
 * and a munmap (a TLB shootdown on every CPU the process runs on) per
 * thread, about 10% on a loop of short threads. A slot is filled with a
 * compare-and-swap and emptied with an exchange: lock-free, safe in a
 * signal handler, and free of ABA, as a block belongs to whoever took it
 * out. Beyond the slots, blocks are unmapped. */
#define SPARE_SLOTS 32
static bg_context *spare[SPARE_SLOTS];

static bg_context *spare_take(void) {
  for (size_t i = 0; i < SPARE_SLOTS; i++) {
    if (!__atomic_load_n(&spare[i], __ATOMIC_RELAXED)) continue;
    bg_context *b = __atomic_exchange_n(&spare[i], NULL, __ATOMIC_ACQ_REL);
    if (b) {
      bg_context_clear(b);
      return b;
    }
  }
  return NULL;
}

static bool spare_put(bg_context *b) {
  for (size_t i = 0; i < SPARE_SLOTS; i++) {
    bg_context *expected = NULL;
    if (__atomic_compare_exchange_n(&spare[i], &expected, b, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED))
      return true;
  }
  return false;
}

/* Runs at the exit of any thread that has a block, however it was created.
 * A destructor of another key that runs later and needs a context gets a
 * block again and sets the key again; glibc then calls this once more. */
static void release(void *block) {
  bg_context *expected = block;
  __atomic_compare_exchange_n(&xt__self.ctx, &expected, NULL, false, __ATOMIC_RELAXED,
                              __ATOMIC_RELAXED);
  if (!spare_put(block)) munmap(block, BLOCK_BYTES);
}

void xt__thread_key_init(void) {
  if (atomic_load(&key_ok)) return;
  pthread_key_t k;
  if (pthread_key_create(&k, release) != 0) return;
  if (k >= FIRST_LEVEL_KEYS) {
    /* Never freed, then, rather than freed unsafely: blocks of exited
     * threads stay mapped. */
    pthread_key_delete(k);
    return;
  }
  key = k;
  atomic_store(&key_ok, true);
}

/* The compare-and-swap guards against a signal handler on this same thread
 * that mapped a block between our mmap and our store: one of the two is
 * given back and both parties use the other. */
static bg_context *attach(void) {
  bg_context *m = spare_take();
  if (!m) {
    void *p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      xt__self.internal = true;
      return &no_memory;
    }
    m = p;
  }
  bg_context *expected = NULL;
  if (!__atomic_compare_exchange_n(&xt__self.ctx, &expected, m, false, __ATOMIC_RELAXED,
                                   __ATOMIC_RELAXED)) {
    if (!spare_put(m)) munmap(m, BLOCK_BYTES);
    return expected;
  }
  if (atomic_load_explicit(&key_ok, memory_order_acquire)) pthread_setspecific(key, m);
  return m;
}

bg_context *xt__ctx(void) {
  bg_context *c = xt__self.ctx;
  return __builtin_expect(c != NULL, 1) ? c : attach();
}

const bg_context *xt__ctx_peek(void) {
  bg_context *c = xt__self.ctx;
  return c ? c : &empty;
}

bg_context *xt_context(void) { return xt__ctx(); }

const bg_context *xt_context_peek(void) { return xt__ctx_peek(); }

bool xt_in_task(void) { return xt__ctx_peek()->task_id != 0; }

void xt_context_set(const bg_context *ctx) {
  if (!ctx->task_id && !ctx->items.count && !xt__self.ctx) return; /* already so */
  bg_context_copy(xt__ctx(), ctx);
}

void xt_context_clear(void) {
  if (xt__self.ctx) bg_context_clear(xt__self.ctx);
}

uint64_t xt_task_start(void) { return bg_context_start_task(xt__ctx()); }
