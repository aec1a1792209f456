# A Ruby (Debian ruby-grpc) client of the arithmetic chain (arith_service.rb).
require_relative 'arith_service'

port = Integer(ARGV.fetch(0))
n = Integer(ARGV.fetch(1, '3'))
stub = Operator::Stub.new("127.0.0.1:#{port}", :this_channel_is_insecure)
$stderr.puts "passing --in (#{n}) to :#{port}"
reply = stub.perform_op(Int.new(num: n), deadline: Time.now + 10)
puts "Got value #{reply.num}"
