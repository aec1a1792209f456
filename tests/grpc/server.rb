# A Ruby (Debian ruby-grpc) server of the arithmetic chain, wire-compatible
# with examples/arith: the Int message described at run time, the service
# made by GRPC::GenericService. GRPC::RpcServer dequeues new calls on the
# thread that runs it and runs each handler on a thread of its pool.
#
#   ruby server.rb PORT (--add|--sub|--mul|--div) N [--next-server :PORT] [--pool N]
#
# PORT 0 lets the kernel pick one; either way the bound port is reported as
# "listening on :PORT" on stderr. The handler logs as arith's does
# (examples/README.md): "applying operation +7 to argument 3: 10", then
# "returning value 10", or "passing to :PORT" when it forwards, through a
# gRPC client from inside the handler. After a forward it also logs "next server
# :PORT returned 30", which arith does not: that line is the handler's event
# after the nested call, and shows the handler continues from the reply.
# SIGTERM or SIGINT stops it after the calls in progress.
require_relative 'arith_service'

def usage(why)
  $stderr.puts "server.rb: #{why}"
  $stderr.puts 'usage: server.rb PORT (--add|--sub|--mul|--div) N [--next-server :PORT] [--pool N]'
  exit 2
end

# int64 arithmetic as arith does it: wrap around, division toward zero.
def wrap64(v)
  ((v + 2**63) % 2**64) - 2**63
end

def apply(op, operand, arg)
  case op
  when '+' then wrap64(arg + operand)
  when '-' then wrap64(arg - operand)
  when '*' then wrap64(arg * operand)
  when '/'
    return nil if operand.zero?
    q = arg.abs / operand.abs
    wrap64((arg < 0) ^ (operand < 0) ? -q : q)
  end
end

OPS = { '--add' => '+', '--sub' => '-', '--mul' => '*', '--div' => '/' }.freeze

args = ARGV.dup
port = Integer(args.shift || usage('no port'), exception: false) or usage('port is not a number')
op = operand = next_server = nil
pool = 4
until args.empty?
  flag = args.shift
  value = args.shift or usage("#{flag} needs a value")
  if OPS.key?(flag)
    usage('more than one operation') if op
    op = OPS[flag]
    operand = Integer(value, exception: false) or usage("#{flag}: not a number: #{value}")
  elsif flag == '--next-server'
    usage("--next-server: not :PORT or HOST:PORT: #{value}") unless value =~ /\A[^:]*:\d+\z/
    next_server = value
  elsif flag == '--pool'
    pool = Integer(value, exception: false) or usage("--pool: not a number: #{value}")
    usage('--pool must be positive') unless pool > 0
  else
    usage("unknown flag #{flag}")
  end
end
usage('no operation') unless op

class Operator::Impl < Operator::Service
  def initialize(op, operand, next_server)
    @op = op
    @operand = operand
    @next_server = next_server
    return unless next_server

    host, nport = next_server.split(':', 2)
    host = '127.0.0.1' if host.empty?
    @stub = Operator::Stub.new("#{host}:#{nport}", :this_channel_is_insecure)
  end

  def perform_op(req, call)
    arg = req.num
    value = apply(@op, @operand, arg)
    if value.nil?
      $stderr.puts "applying operation #{@op}#{@operand} to argument #{arg}: division by zero"
      raise GRPC::InvalidArgument, 'division by zero'
    end
    $stderr.puts "applying operation #{@op}#{@operand} to argument #{arg}: #{value}"
    unless @stub
      $stderr.puts "returning value #{value}"
      return Int.new(num: value)
    end
    $stderr.puts "passing to #{@next_server}"
    deadline = [call.deadline, Time.now + 10].compact.min
    begin
      reply = @stub.perform_op(Int.new(num: value), deadline: deadline)
    rescue GRPC::BadStatus => e
      $stderr.puts "next server #{@next_server} failed: #{e.code}: #{e.details}"
      raise GRPC::BadStatus.new_status_exception(e.code, "next server #{@next_server}: #{e.details}")
    end
    $stderr.puts "next server #{@next_server} returned #{reply.num}"
    reply
  end
end

server = GRPC::RpcServer.new(pool_size: pool)
bound = server.add_http2_port("0.0.0.0:#{port}", :this_port_is_insecure)
if bound.nil? || bound <= 0
  $stderr.puts "server.rb: cannot listen on :#{port}"
  exit 3
end
server.handle(Operator::Impl.new(op, operand, next_server))

# The port is announced once the server takes calls. RpcServer#stop takes a
# mutex, which a trap handler may not: the handler only hands the signal to
# this thread, which stops the server.
stop = Queue.new
%w[TERM INT].each { |s| Signal.trap(s) { stop << s } }
Thread.new do
  server.wait_till_running
  $stderr.puts "listening on :#{bound}"
  sig = stop.pop
  $stderr.puts "shutting down on SIG#{sig}"
  server.stop
end
server.run
