/* The small library function the probe benchmark calls through the PLT. */
long bench_fn(long a, long b) { return a * 3 + b; }
