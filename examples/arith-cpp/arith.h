// The arithmetic RPC chain on grpc++: the same program as examples/arith
// (flags, log lines, exit codes, wire format), so that C and C++ hops can be
// mixed in one chain. This header deliberately does not include the code
// generated from arith.proto: its package is "main", which becomes
// "namespace main", and a translation unit that sees that namespace cannot
// also define ::main(). main.cpp includes only this header.
#ifndef ARITH_CPP_H
#define ARITH_CPP_H

#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>

namespace arith {

// Exit codes, the same as the C program's (examples/README.md).
enum ExitCode { kOk = 0, kCallFailed = 1, kUsage = 2, kListen = 3 };

enum class Op { kNone, kAdd, kSub, kMul, kDiv };

struct Options {
  Op op = Op::kNone;
  int64_t operand = 0;       // N of --add/--sub/--mul/--div
  int64_t in = 0;            // N of --in
  bool has_in = false;
  bool callback = false;     // --callback: callback server and forwarding
  std::string listen_addr;   // as written, for log lines
  std::string next_server;   // as written, for log lines
  std::string listen_target; // what gRPC binds
  std::string next_target;   // what gRPC dials
  int workers = 8;
  int64_t deadline_ms = 10000;
  int threads = 1;
  int64_t count = 1;
};

// Parses argv. Returns kOk to run, kUsage after printing why, or -1 when
// --help printed the usage and the program should exit successfully.
int ParseFlags(int argc, char** argv, Options* o);
void Usage(std::ostream& os);

int RunClient(const Options& o);
int RunServer(const Options& o);

char OpSymbol(Op op);
// False only for division by zero; overflow wraps as in Go (see ops.cpp).
bool Apply(Op op, int64_t operand, int64_t arg, int64_t* out);

// A log line is written as several insertions into std::cerr, like any C++
// program does; Log() holds a lock for the whole statement so lines from
// concurrent calls do not interleave on the terminal:
//   Log() << "applying operation " << ... << '\n';
class Log {
 public:
  Log() : lock_(Mutex()) {}
  template <typename T>
  Log& operator<<(const T& v) {
    std::cerr << v;
    return *this;
  }

 private:
  static std::mutex& Mutex();
  std::lock_guard<std::mutex> lock_;
};

}  // namespace arith

#endif
