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
