# A Ruby (Debian ruby-grpc) client of the arithmetic chain, with the Int
# message described at run time and the stub made by GRPC::GenericService:
# the ordinary way a Ruby program calls a gRPC service, minus protoc.
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

port = Integer(ARGV.fetch(0))
n = Integer(ARGV.fetch(1, '3'))
stub = Operator::Stub.new("127.0.0.1:#{port}", :this_channel_is_insecure)
$stderr.puts "passing --in (#{n}) to :#{port}"
reply = stub.perform_op(Int.new(num: n), deadline: Time.now + 10)
puts "Got value #{reply.num}"
