// Command-line flags, read the way Go's flag package reads them (-name value,
// --name value, -name=value), with the same names and rules as the C program.
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>

#include "arith.h"

namespace arith {
namespace {

bool ParseInt(const std::string& name, const std::string& s, int64_t min,
              int64_t max, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || s.empty() || *end != '\0' || v < min || v > max) {
    std::cerr << "arith: --" << name << " needs an integer in [" << min
              << ", " << max << "], got '" << s << "'\n";
    return false;
  }
  *out = v;
  return true;
}

// ":PORT" is this host, as in the reference example: dial 127.0.0.1 (no
// resolver, works without IPv6) and listen on the IPv6 wildcard, which gRPC
// makes dual-stack or replaces by 0.0.0.0.
bool ResolveAddr(const std::string& name, const std::string& addr,
                 bool listening, std::string* target) {
  if (addr.empty()) {
    std::cerr << "arith: --" << name << " must not be empty\n";
    return false;
  }
  if (addr[0] != ':') {
    *target = addr;
    return true;
  }
  int64_t port;
  if (!ParseInt(name, addr.substr(1), listening ? 0 : 1, 65535, &port))
    return false;
  *target = (listening ? "[::]:" : "127.0.0.1:") + std::to_string(port);
  return true;
}

bool SetOp(Options* o, Op op, const std::string& name, const std::string& v) {
  if (o->op != Op::kNone || o->has_in) {
    std::cerr << "arith: give exactly one of --add, --sub, --mul, --div, "
                 "--in (second one: --" << name << ")\n";
    return false;
  }
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  if (op == Op::kNone) {
    o->has_in = true;
    return ParseInt(name, v, lo, hi, &o->in);
  }
  o->op = op;
  return ParseInt(name, v, lo, hi, &o->operand);
}

bool SetSmall(const std::string& name, const std::string& v, int* out) {
  int64_t n;
  if (!ParseInt(name, v, 1, 256, &n)) return false;
  *out = static_cast<int>(n);
  return true;
}

bool SetFlag(Options* o, const std::string& name, const std::string& v) {
  static const std::map<std::string, Op> ops = {
      {"add", Op::kAdd}, {"sub", Op::kSub}, {"mul", Op::kMul},
      {"div", Op::kDiv}, {"in", Op::kNone}};
  auto it = ops.find(name);
  if (it != ops.end()) return SetOp(o, it->second, name, v);
  if (name == "listen-addr") o->listen_addr = v;
  else if (name == "next-server") o->next_server = v;
  else if (name == "workers") return SetSmall(name, v, &o->workers);
  else if (name == "threads") return SetSmall(name, v, &o->threads);
  else if (name == "count") return ParseInt(name, v, 1, 100000000, &o->count);
  else if (name == "deadline-ms")
    return ParseInt(name, v, 1, 86400000, &o->deadline_ms);
  return true;
}

bool IsKnown(const std::string& name) {
  static const char* const names[] = {
      "add",     "sub",     "mul",   "div",         "in",       "listen-addr",
      "next-server", "workers", "threads", "count", "deadline-ms"};
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

// Rules across flags, checked after reading them all so the message names
// the real problem.
bool Check(Options* o) {
  if (o->op == Op::kNone && !o->has_in) {
    std::cerr << "arith: give one of --add, --sub, --mul, --div (server) or "
                 "--in (client)\n";
    return false;
  }
  if (o->has_in && o->next_server.empty()) {
    std::cerr << "arith: --in needs --next-server\n";
    return false;
  }
  if (o->has_in && !o->listen_addr.empty()) {
    std::cerr << "arith: a client (--in) does not take --listen-addr\n";
    return false;
  }
  if (!o->has_in && o->listen_addr.empty()) {
    std::cerr << "arith: a server needs --listen-addr\n";
    return false;
  }
  if (!o->has_in && (o->threads != 1 || o->count != 1)) {
    std::cerr << "arith: --threads and --count are client flags\n";
    return false;
  }
  if (o->has_in && o->callback) {
    std::cerr << "arith: --callback is a server flag\n";
    return false;
  }
  if (!o->listen_addr.empty() &&
      !ResolveAddr("listen-addr", o->listen_addr, true, &o->listen_target))
    return false;
  if (!o->next_server.empty() &&
      !ResolveAddr("next-server", o->next_server, false, &o->next_target))
    return false;
  return true;
}

}  // namespace

void Usage(std::ostream& os) {
  os << "usage: arith-cpp --in N --next-server ADDR [--threads T --count C]\n"
        "       arith-cpp --listen-addr ADDR (--add|--sub|--mul|--div) N\n"
        "                 [--next-server ADDR] [--workers W] [--callback]\n"
        "common: [--deadline-ms MS]\n"
        "ADDR is HOST:PORT, or :PORT for this host; --listen-addr :0 picks a\n"
        "free port and reports it as 'listening on :PORT'.\n";
}

int ParseFlags(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      std::cerr << "arith: unexpected argument '" << arg << "'\n";
      return kUsage;
    }
    arg.erase(0, arg[1] == '-' ? 2 : 1);
    if (arg == "help" || arg == "h") {
      Usage(std::cout);
      return -1;
    }
    if (arg == "callback") {  // the one boolean flag
      o->callback = true;
      continue;
    }
    size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    if (!IsKnown(name)) {
      std::cerr << "arith: unknown flag " << argv[i] << '\n';
      return kUsage;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "arith: --" << name << " needs a value\n";
      return kUsage;
    }
    if (!SetFlag(o, name, value)) return kUsage;
  }
  return Check(o) ? kOk : kUsage;
}

}  // namespace arith
