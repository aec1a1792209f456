# Calls a server of the chain with an encoder written here from the protobuf
# spec, not generated: the request must reach /main.Operator/PerformOp and
# both sides must speak proto3 "int64 num = 1" (tag 0x08, two's complement
# varint, 10 bytes for negatives, the field omitted when zero).
require 'grpc'

def encode(n)
  return ''.b if n.zero?
  v = n & 0xffff_ffff_ffff_ffff
  out = [0x08]
  loop do
    b = v & 0x7f
    v >>= 7
    out << (v.zero? ? b : b | 0x80)
    break if v.zero?
  end
  out.pack('C*')
end

def decode(bytes)
  return 0 if bytes.empty?
  raise "unexpected field tag #{bytes.getbyte(0)}" unless bytes.getbyte(0) == 0x08
  v = 0
  shift = 0
  bytes.byteslice(1..).each_byte do |b|
    v |= (b & 0x7f) << shift
    shift += 7
  end
  v >= 2**63 ? v - 2**64 : v
end

port, add = ARGV.map(&:to_i)
stub = GRPC::ClientStub.new("127.0.0.1:#{port}", :this_channel_is_insecure)
raw = ->(s) { s }
failures = 0
[3, 0, -1, -(2**63), 2**63 - 1, 300].each do |n|
  req = encode(n)
  rep = stub.request_response('/main.Operator/PerformOp', req, raw, raw,
                              deadline: Time.now + 10)
  want = ((n + add + 2**63) % 2**64) - 2**63 # Go's wrapping int64
  got = decode(rep)
  if got != want || rep != encode(want)
    warn "in #{n}: got #{got} (#{rep.unpack1('H*')}), want #{want} (#{encode(want).unpack1('H*')})"
    failures += 1
  end
end
begin
  stub.request_response('/main.Operator/Nope', encode(1), raw, raw,
                        deadline: Time.now + 10)
  warn 'an unknown method succeeded'
  failures += 1
rescue GRPC::Unimplemented
  nil
end
exit(failures.zero? ? 0 : 1)
