// arith-cpp: one hop of the arithmetic RPC chain on grpc++. See arith.h.
#include <pthread.h>
#include <signal.h>

#include "arith.h"

int main(int argc, char** argv) {
  arith::Options o;
  int rc = arith::ParseFlags(argc, argv, &o);
  if (rc < 0) return arith::kOk;
  if (rc != arith::kOk) {
    arith::Usage(std::cerr);
    return rc;
  }
  if (!o.has_in) {
    // Blocked before grpc++ starts any thread, so every thread inherits the
    // mask and SIGINT/SIGTERM reach only RunServer's sigwait.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  return o.has_in ? arith::RunClient(o) : arith::RunServer(o);
}
