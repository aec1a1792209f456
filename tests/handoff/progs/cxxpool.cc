// The C pool's workload on a C++ pool: std::thread workers taking
// std::function jobs from a std::deque under a std::mutex, woken through a
// std::condition_variable; each submitter waits for its job's result on a
// condition variable of its own.
//   cxxpool SUBMITTERS JOBS_EACH WORKERS SEED [PACE_US [serial]]
// PACE_US: a pause before each submission, as in cpool. serial: one request
// at a time (a mutex held from submission to result), and each submitted
// only once every worker waits for work, so that a worker woken by the
// submission takes it: none can come back from a job and find it queued.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

class Pool {
 public:
  Pool(int n, bool track_idle) : n_(n), track_idle_(track_idle) {
    for (int i = 0; i < n; i++)
      threads_.emplace_back([this] { Work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto &t : threads_) t.join();
  }
  void Submit(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> g(m_);
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }
  // Returns once every worker waits for work (track_idle only).
  void WaitIdle() {
    std::unique_lock<std::mutex> l(m_);
    idle_cv_.wait(l, [this] { return idle_ == n_; });
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> l(m_);
        if (track_idle_ && ++idle_ == n_) idle_cv_.notify_all();
        cv_.wait(l, [this] { return stop_ || !q_.empty(); });
        if (track_idle_) --idle_;
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  int idle_ = 0;
  const int n_;
  const bool track_idle_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

void Spin(unsigned n) {
  for (volatile unsigned i = 0; i < n; i++) {
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: cxxpool SUBMITTERS JOBS_EACH WORKERS SEED [PACE_US [serial]]\n");
    return 2;
  }
  int nsub = std::atoi(argv[1]), each = std::atoi(argv[2]), nwork = std::atoi(argv[3]);
  unsigned seed = static_cast<unsigned>(std::atoi(argv[4]));
  unsigned pace = argc > 5 ? static_cast<unsigned>(std::atoi(argv[5])) : 0;
  bool serial = argc > 6 && std::string(argv[6]) == "serial";
  std::mutex token;
  Pool pool(nwork, serial);
  std::vector<std::thread> subs;
  for (int id = 0; id < nsub; id++) {
    subs.emplace_back([&, id] {
      std::mt19937 rnd(seed * 7919u + id);
      for (int k = 0; k < each; k++) {
        int n = id * each + k;
        unsigned work = rnd() % 20000;
        Spin(rnd() % 20000);
        if (pace) usleep(pace / 2 + rnd() % pace);
        std::unique_lock<std::mutex> one(token, std::defer_lock);
        if (serial) {
          one.lock();
          pool.WaitIdle();
        }
        std::fprintf(stderr, "submit %d\n", n);
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        pool.Submit([&, n, work] {
          Spin(work);
          std::fprintf(stderr, "job %d\n", n);
          std::lock_guard<std::mutex> g(m);
          done = true;
          cv.notify_one();
        });
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return done; });
        std::fprintf(stderr, "result %d\n", n);
      }
    });
  }
  for (auto &t : subs) t.join();
  std::fprintf(stderr, "done\n");
  return 0;
}
