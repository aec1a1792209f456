// The arithmetic, status names, and the log lock.
#include "rpc.h"

namespace arith {

char OpSymbol(Op op) {
  switch (op) {
    case Op::kAdd: return '+';
    case Op::kSub: return '-';
    case Op::kMul: return '*';
    case Op::kDiv: return '/';
    default: return '?';
  }
}

// Overflow wraps around as Go's int64 does, so C, C++ and Go hops agree on
// every input; unsigned arithmetic makes that defined behaviour, and
// INT64_MIN / -1 (a trap on x86) wraps to INT64_MIN too.
bool Apply(Op op, int64_t operand, int64_t arg, int64_t* out) {
  uint64_t a = static_cast<uint64_t>(arg), b = static_cast<uint64_t>(operand);
  switch (op) {
    case Op::kAdd: *out = static_cast<int64_t>(a + b); return true;
    case Op::kSub: *out = static_cast<int64_t>(a - b); return true;
    case Op::kMul: *out = static_cast<int64_t>(a * b); return true;
    case Op::kDiv:
      if (operand == 0) return false;
      *out = operand == -1 ? static_cast<int64_t>(0 - a) : arg / operand;
      return true;
    default:
      return false;
  }
}

const char* StatusName(grpc::StatusCode code) {
  static const char* const names[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  unsigned i = static_cast<unsigned>(code);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "UNKNOWN_CODE";
}

std::mutex& Log::Mutex() {
  static std::mutex m;
  return m;
}

}  // namespace arith
