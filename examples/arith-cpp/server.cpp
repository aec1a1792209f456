// The server: a sync service (grpc::Service, run on grpc++'s thread pool)
// or, with --callback, a callback service whose forwarding uses the callback
// client API, so that both of grpc++'s code paths can be exercised.
//
// Both forward with a ClientContext made from the server context: grpc++
// then passes the incoming call as parent, which propagates its deadline
// (the effective one is the earlier of it and --deadline-ms) and its
// cancellation down the chain, like the C program does.
#include <signal.h>

#include <chrono>
#include <memory>

#include "rpc.h"

namespace arith {
namespace {

using Clock = std::chrono::system_clock;

class Hop {
 public:
  Hop(const Options& o, std::shared_ptr<grpc::Channel> next)
      : o_(o), next_(next ? main::Operator::NewStub(next) : nullptr) {}

  // Computes and logs this hop's result; a failing status ends the call.
  grpc::Status Compute(int64_t arg, int64_t* out) const {
    char sym = OpSymbol(o_.op);
    if (!Apply(o_.op, o_.operand, arg, out)) {
      Log() << "applying operation " << sym << o_.operand << " to argument "
            << arg << ": division by zero\n";
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "division by zero");
    }
    Log() << "applying operation " << sym << o_.operand << " to argument "
          << arg << ": " << *out << '\n';
    if (!next_) Log() << "returning value " << *out << '\n';
    return grpc::Status::OK;
  }

  main::Operator::Stub* next() const { return next_.get(); }

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(Clock::now() + std::chrono::milliseconds(o_.deadline_ms));
    Log() << "passing to " << o_.next_server << '\n';
  }

  // Turns the next server's answer into ours: its value, or its code with a
  // message that says where it failed (logged; success is not, as in the
  // reference example).
  grpc::Status Relay(const grpc::Status& st) const {
    if (st.ok()) return st;
    Log() << "next server " << o_.next_server << " failed: "
          << StatusName(st.error_code()) << ": " << st.error_message() << '\n';
    return grpc::Status(st.error_code(),
                        "next server " + o_.next_server + ": " +
                            st.error_message());
  }

 private:
  const Options& o_;
  std::unique_ptr<main::Operator::Stub> next_;
};

class SyncOperator final : public main::Operator::Service {
 public:
  explicit SyncOperator(const Hop& hop) : hop_(hop) {}

  grpc::Status PerformOp(grpc::ServerContext* sctx, const main::Int* req,
                         main::Int* rep) override {
    int64_t v;
    grpc::Status st = hop_.Compute(req->num(), &v);
    if (!st.ok() || !hop_.next()) {
      rep->set_num(v);
      return st;
    }
    std::unique_ptr<grpc::ClientContext> ctx =
        grpc::ClientContext::FromServerContext(*sctx);
    hop_.Prepare(ctx.get());
    main::Int fwd;
    fwd.set_num(v);
    return hop_.Relay(hop_.next()->PerformOp(ctx.get(), fwd, rep));
  }

 private:
  const Hop& hop_;
};

// What an asynchronous forward needs until its callback has run.
struct Forward {
  std::unique_ptr<grpc::ClientContext> ctx;
  main::Int request;
};

class CallbackOperator final : public main::Operator::CallbackService {
 public:
  explicit CallbackOperator(const Hop& hop) : hop_(hop) {}

  grpc::ServerUnaryReactor* PerformOp(grpc::CallbackServerContext* sctx,
                                      const main::Int* req,
                                      main::Int* rep) override {
    grpc::ServerUnaryReactor* reactor = sctx->DefaultReactor();
    int64_t v;
    grpc::Status st = hop_.Compute(req->num(), &v);
    if (!st.ok() || !hop_.next()) {
      rep->set_num(v);
      reactor->Finish(st);
      return reactor;
    }
    // The reply message and the reactor stay valid until Finish, so the
    // forward's callback may fill *rep and finish the call from whichever
    // gRPC thread it runs on.
    auto* fwd = new Forward{grpc::ClientContext::FromCallbackServerContext(*sctx),
                            main::Int()};
    fwd->request.set_num(v);
    hop_.Prepare(fwd->ctx.get());
    const Hop* hop = &hop_;
    hop_.next()->async()->PerformOp(
        fwd->ctx.get(), &fwd->request, rep,
        [hop, fwd, reactor](grpc::Status s) {
          grpc::Status out = hop->Relay(s);
          delete fwd;
          reactor->Finish(out);
        });
    return reactor;
  }

 private:
  const Hop& hop_;
};

void WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig;
  if (sigwait(&set, &sig) == 0)
    Log() << "shutting down on " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
          << '\n';
}

}  // namespace

int RunServer(const Options& o) {
  std::shared_ptr<grpc::Channel> next;
  if (!o.next_target.empty())
    next = grpc::CreateChannel(o.next_target,
                               grpc::InsecureChannelCredentials());
  Hop hop(o, next);
  SyncOperator sync_service(hop);
  CallbackOperator callback_service(hop);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen_target, grpc::InsecureServerCredentials(),
                           &port);
  // gRPC sets SO_REUSEPORT by default, so a second server on a taken port
  // would silently share its calls; we want "address in use" instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              o.workers);
  if (o.callback)
    builder.RegisterService(&callback_service);
  else
    builder.RegisterService(&sync_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port <= 0) {
    Log() << "arith: cannot listen on " << o.listen_addr
          << ": address in use or not valid\n";
    return kListen;
  }
  size_t colon = o.listen_addr.rfind(':');
  Log() << "listening on " << o.listen_addr.substr(0, colon) << ':' << port
        << '\n';
  WaitForSignal();
  // Calls still running after the grace period are cancelled, which also
  // cancels their forwards (propagation).
  server->Shutdown(Clock::now() + std::chrono::seconds(5));
  server->Wait();
  return kOk;
}

}  // namespace arith
