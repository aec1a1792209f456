// What the client and server files share beyond arith.h: the generated
// service (namespace main, see arith.h for why main.cpp must not see it).
#ifndef ARITH_CPP_RPC_H
#define ARITH_CPP_RPC_H

#include <grpcpp/grpcpp.h>

#include "arith.grpc.pb.h"
#include "arith.h"

namespace arith {

const char* StatusName(grpc::StatusCode code);

}  // namespace arith

#endif
