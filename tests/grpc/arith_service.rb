# The arithmetic service as Ruby programs see it: the Int message described
# at run time and the service made by GRPC::GenericService, wire-compatible
# with examples/arith (/main.Operator/PerformOp, message Int { int64 num = 1; }):
# the ordinary way a Ruby program talks gRPC, minus protoc.
require 'grpc'
require 'google/protobuf'

Google::Protobuf::DescriptorPool.generated_pool.build do
  add_file('arith.proto', syntax: :proto3) do
    add_message 'main.Int' do
      optional :num, :int64, 1
    end
  end
end
Int = Google::Protobuf::DescriptorPool.generated_pool.lookup('main.Int').msgclass

module Operator
  class Service
    include GRPC::GenericService
    self.marshal_class_method = :encode
    self.unmarshal_class_method = :decode
    self.service_name = 'main.Operator'
    rpc :PerformOp, Int, Int
  end
  Stub = Service.rpc_stub_class
end
