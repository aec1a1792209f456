# Waiting for a server started on port 0 (arith, arith-cpp and mdpeer with
# --listen-addr :0) to say which port the kernel gave it.
# Source it from bash:  . "$XT_TOP/tests/lib/port.sh"
#
#   xt_wait_port FILE PID   waits up to 10 s for the line "listening on :PORT"
#                           in FILE (the server's stderr) and sets PORT; if PID
#                           exits first or the time runs out, returns 1 with
#                           the reason in PORT_ERR
#
# FILE must exist before the server starts (create it with : >FILE): the
# background job's own redirection may not have run when the first look
# happens, and an old file could hold an earlier server's port.
xt_wait_port() {
  local file=$1 pid=$2
  PORT= PORT_ERR=
  for _ in $(seq 200); do
    PORT=$(sed -n 's/^listening on :\([0-9][0-9]*\)$/\1/p' "$file")
    [ -n "$PORT" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      PORT_ERR="exited before listening"
      return 1
    fi
    sleep 0.05
  done
  PORT_ERR="did not report its port"
  return 1
}

# xt_closed_port   sets CLOSED_PORT to a port where a connection is refused and
#                  that no other program is given while the calling shell
#                  lives: the kernel picks it for a socket that never listens,
#                  held by a background perl (perl-base is part of every Debian
#                  system) that exits once the caller is gone. Call it from
#                  the test's own shell, not from $(...).
xt_closed_port() {
  local f
  f=$(mktemp "${TMPDIR:-/tmp}/xtport.XXXXXX")
  perl -MSocket -e '
    socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    bind($s, pack_sockaddr_in(0, INADDR_LOOPBACK)) or die "bind: $!";
    my ($port) = unpack_sockaddr_in(getsockname($s));
    open(my $out, ">", $ARGV[0]) or die; print $out "$port\n"; close $out;
    my $parent = getppid();
    select(undef, undef, undef, 0.2) while getppid() == $parent;
  ' "$f" </dev/null >/dev/null 2>&1 &
  CLOSED_PORT=
  for _ in $(seq 200); do
    CLOSED_PORT=$(cat "$f")
    [ -n "$CLOSED_PORT" ] && break
    sleep 0.05
  done
  rm -f "$f"
  [ -n "$CLOSED_PORT" ]
}
