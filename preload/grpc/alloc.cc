/*
 * C++ sync and callback servers never call grpc_server_request_*call: new
 * calls reach them through allocators that grpc++ installs on the core
 * server with these two functions, exported by libgrpc.so. Defining the
 * same (mangled) names here puts the preload in front of them; each
 * allocator is wrapped so that every call it allocates is announced to the
 * shim exactly as a request_call would be: the tag, where the call pointer
 * and its metadata will be, and the method path.
 *
 * Entries are keyed by the queue passed to Set*Allocator, the notification
 * queue the tag is delivered on, not by allocation.cq (the call's own).
 *
 * The wrapper captures only a pointer, so std::function keeps it inline and
 * never allocates; the original allocator lives in a malloc'd box that is
 * never freed: a server sets each allocator once, for its lifetime.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include <functional>
#include <new>
#include <utility>

#include "grpc/shim.h"

namespace grpc_core {

// The layouts of gRPC 1.51 (src/core/lib/surface/server.h), which the
// Debian package does not install.
class Server {
public:
  struct BatchCallAllocation {
    void *tag;
    grpc_call **call;
    grpc_metadata_array *initial_metadata;
    grpc_call_details *details;
    grpc_completion_queue *cq;
  };
  struct RegisteredCallAllocation {
    void *tag;
    grpc_call **call;
    grpc_metadata_array *initial_metadata;
    gpr_timespec *deadline;
    grpc_byte_buffer **optional_payload;
    grpc_completion_queue *cq;
  };
  __attribute__((visibility("default"))) void
  SetRegisteredMethodAllocator(grpc_completion_queue *cq, void *method_tag,
                               std::function<RegisteredCallAllocation()> allocator);
  __attribute__((visibility("default"))) void
  SetBatchMethodAllocator(grpc_completion_queue *cq,
                          std::function<BatchCallAllocation()> allocator);
};

} // namespace grpc_core

namespace {

using grpc_core::Server;
using RegisteredFn = std::function<Server::RegisteredCallAllocation()>;
using BatchFn = std::function<Server::BatchCallAllocation()>;

// Member functions called through plain pointers: `this` is the first
// argument, and a std::function by value travels as a pointer to a
// temporary in both cases, so the types below match the real ones.
using SetRegisteredReal = void (*)(Server *, grpc_completion_queue *, void *, RegisteredFn);
using SetBatchReal = void (*)(Server *, grpc_completion_queue *, BatchFn);

void *real_sym(void **slot, const char *name) {
  void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (!p) {
    xtp_depth++;
    p = dlsym(RTLD_NEXT, name);
    xtp_depth--;
    __atomic_store_n(slot, p, __ATOMIC_RELEASE);
  }
  return p;
}

// Returns the tag core is to complete: the allocation's, or on a callback
// queue the shim's functor around it.
void *announce(grpc_completion_queue *cq, void *tag, grpc_call **callp,
               grpc_completion_queue *call_cq, grpc_metadata_array *md, grpc_call_details *details,
               const char *method) {
  if (!xtp_enter(XTP_FAM_GRPC))
    return tag;
  xtp_gtag t = {};
  t.cq = cq;
  t.tag = xtp_grpc_wrap_tag(cq, tag, nullptr, true);
  t.kind = XTP_GTAG_NEW_CALL;
  t.callp = callp;
  t.call_cq = call_cq;
  t.md = md;
  t.details = details;
  t.method = method;
  if (xtp_gtag_put(&t) < 0) {
    xtp_grpc_unwrap_tag(t.tag, tag);
    t.tag = tag;
  }
  xtp_leave();
  return t.tag;
}

template <typename Fn> struct Box {
  Fn original;
  grpc_completion_queue *cq;
  const char *method;
};

template <typename Fn> Box<Fn> *box(Fn &&fn, grpc_completion_queue *cq, const char *method) {
  void *mem = malloc(sizeof(Box<Fn>));
  if (!mem)
    return nullptr;
  return new (mem) Box<Fn>{std::move(fn), cq, method};
}

} // namespace

void Server::SetRegisteredMethodAllocator(grpc_completion_queue *cq, void *method_tag,
                                          RegisteredFn allocator) {
  static void *slot;
  auto real = reinterpret_cast<SetRegisteredReal>(real_sym(
      &slot, "_ZN9grpc_core6Server28SetRegisteredMethodAllocatorEP21grpc_completion_queuePvSt8"
             "functionIFNS0_24RegisteredCallAllocationEvEE"));
  if (!real)
    return;
  Box<RegisteredFn> *b = nullptr;
  if (allocator && (xtp_cfg.families & XTP_FAM_GRPC))
    b = box(std::move(allocator), cq, xtp_gmethod_get(method_tag));
  if (!b) {
    real(this, cq, method_tag, std::move(allocator));
    return;
  }
  real(this, cq, method_tag, [b]() {
    RegisteredCallAllocation a = b->original();
    a.tag = announce(b->cq, a.tag, a.call, a.cq, a.initial_metadata, nullptr, b->method);
    return a;
  });
}

void Server::SetBatchMethodAllocator(grpc_completion_queue *cq, BatchFn allocator) {
  static void *slot;
  auto real = reinterpret_cast<SetBatchReal>(
      real_sym(&slot, "_ZN9grpc_core6Server23SetBatchMethodAllocatorEP21grpc_completion_queueSt8"
                      "functionIFNS0_19BatchCallAllocationEvEE"));
  if (!real)
    return;
  Box<BatchFn> *b = nullptr;
  if (allocator && (xtp_cfg.families & XTP_FAM_GRPC))
    b = box(std::move(allocator), cq, nullptr);
  if (!b) {
    real(this, cq, std::move(allocator));
    return;
  }
  real(this, cq, [b]() {
    BatchCallAllocation a = b->original();
    a.tag = announce(b->cq, a.tag, a.call, a.cq, a.initial_metadata, a.details, nullptr);
    return a;
  });
}

// std::function's call operator throws bad_function_call when empty. Here it
// never is: an allocator is boxed only if it is set. libstdc++'s thrower
// would pull its exception runtime into the library, and with it the
// emergency exception pool, whose initialiser mallocs some 70 KiB in every
// traced process at load, C programs included.
namespace std {
[[noreturn]] void __throw_bad_function_call() { abort(); }
} // namespace std
