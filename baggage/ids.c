/*
 * Event and task IDs: xoshiro256** per thread, seeded from getrandom (or
 * arc4random where the kernel's pool cannot answer at once).
 *
 * The generator state is initial-exec TLS so that reaching it from the preload
 * is a plain %fs-relative load: no __tls_get_addr, no lock, no allocation, and
 * safe on any thread, including ones the application created before us.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/types.h>

#include "baggage/baggage.h"

struct rng {
  uint64_t s[4];
  uint64_t epoch; /* 0 in a fresh thread: never equal to reseed_epoch */
};

__attribute__((tls_model("initial-exec"))) static __thread struct rng tls_rng;

/* Starts at 1 so that zero-initialised TLS always seeds on first use. Bumped by
 * bg_id_reseed_all(); each thread compares it with a relaxed load, which is
 * enough: a thread that sees the bump late draws a few more values from a
 * state nobody else shares, which is harmless. */
static _Atomic uint64_t reseed_epoch = 1;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro_next(uint64_t s[4]) {
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* getrandom first: it is a system call, safe where a thread's first ID is
 * drawn inside a signal handler (a fork child's _exit from its SIGTERM
 * handler), while arc4random takes a lock the interrupted code may hold. */
static void seed(struct rng *r, uint64_t epoch) {
  do {
    if (getrandom(r->s, sizeof r->s, GRND_NONBLOCK) != (ssize_t)sizeof r->s)
      arc4random_buf(r->s, sizeof r->s);
  } while ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0); /* the one fixed point */
  r->epoch = epoch;
}

/* The top output bit is dropped (xoshiro's high bits are its best ones, and
 * the shift keeps them) and 0 is redrawn, so the result is uniform on
 * [1, 2^63-1]. */
uint64_t bg_id_fresh(void) {
  struct rng *r = &tls_rng;
  uint64_t epoch = atomic_load_explicit(&reseed_epoch, memory_order_relaxed);
  if (__builtin_expect(r->epoch != epoch, 0)) seed(r, epoch);
  uint64_t v;
  do {
    v = xoshiro_next(r->s) >> 1;
  } while (v == 0);
  return v;
}

void bg_id_reseed_all(void) { atomic_fetch_add_explicit(&reseed_epoch, 1, memory_order_relaxed); }
