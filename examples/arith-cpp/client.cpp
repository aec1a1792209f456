// The client mode (--in): blocking stub calls, optionally from several
// threads (--threads/--count) to serve as a load generator.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "rpc.h"

namespace arith {
namespace {

using Clock = std::chrono::steady_clock;

struct Caller {
  int64_t first = 0;                 // first input of this thread
  std::vector<int64_t> latency_us;   // one entry per call
  int failures = 0;
};

void CallLoop(const Options& o, main::Operator::Stub* stub, Caller* c) {
  bool single = o.threads == 1 && o.count == 1;
  for (int64_t i = 0; i < o.count; i++) {
    // Wrapping addition: --in near INT64_MAX with --count stays defined.
    int64_t in = static_cast<int64_t>(static_cast<uint64_t>(c->first) +
                                      static_cast<uint64_t>(i));
    main::Int req, rep;
    req.set_num(in);
    grpc::ClientContext ctx;
    // grpc++ deadlines are system_clock time points.
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(o.deadline_ms));
    Log() << "passing --in (" << in << ") to " << o.next_server << '\n';
    auto start = Clock::now();
    grpc::Status st = stub->PerformOp(&ctx, req, &rep);
    c->latency_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                              start)
            .count());
    if (!st.ok()) {
      Log() << "call to " << o.next_server << " failed: "
            << StatusName(st.error_code()) << ": " << st.error_message()
            << '\n';
      c->failures++;
    } else if (single) {
      std::cout << "Got value " << rep.num() << '\n';
    } else {
      // One string per line: std::cout is shared by the threads.
      std::cout << ("Got value " + std::to_string(rep.num()) + " for --in " +
                    std::to_string(in) + "\n");
    }
  }
}

// One line of throughput and latency percentiles, for the benchmark.
void Report(const std::vector<Caller>& callers, double seconds) {
  std::vector<int64_t> all;
  for (const Caller& c : callers)
    all.insert(all.end(), c.latency_us.begin(), c.latency_us.end());
  if (all.empty()) return;
  std::sort(all.begin(), all.end());
  size_t p99 = std::min(all.size() - 1, all.size() * 99 / 100);
  char rate[32];
  snprintf(rate, sizeof(rate), "%.0f", all.size() / (seconds > 0 ? seconds : 1e-6));
  char secs[32];
  snprintf(secs, sizeof(secs), "%.3f", seconds);
  Log() << "completed " << all.size() << " calls in " << secs << " s: "
        << rate << " calls/s, latency p50 " << all[all.size() / 2]
        << " us, p99 " << all[p99] << " us\n";
}

}  // namespace

int RunClient(const Options& o) {
  auto channel =
      grpc::CreateChannel(o.next_target, grpc::InsecureChannelCredentials());
  auto stub = main::Operator::NewStub(channel);
  std::vector<Caller> callers(o.threads);
  for (int i = 0; i < o.threads; i++)
    callers[i].first = static_cast<int64_t>(
        static_cast<uint64_t>(o.in) +
        static_cast<uint64_t>(i) * static_cast<uint64_t>(o.count));
  auto start = Clock::now();
  if (o.threads == 1) {
    // A single caller stays on the main thread: the plain sequence a reader
    // of the log expects.
    CallLoop(o, stub.get(), &callers[0]);
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < o.threads; i++)
      threads.emplace_back(CallLoop, std::cref(o), stub.get(), &callers[i]);
    for (auto& t : threads) t.join();
  }
  double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  if (o.threads * o.count > 1) Report(callers, seconds);
  std::cout.flush();
  int failures = 0;
  for (const Caller& c : callers) failures += c.failures;
  return failures ? kCallFailed : kOk;
}

}  // namespace arith
