#!/usr/bin/env bash
# redis-server on a unix socket, driven by redis-cli and a short
# redis-benchmark, then shut down: the same replies, the same log and exit
# status, and a graph holding the server and the clients, each started from
# the script, with no event per request.
. "$(dirname "$0")/lib.sh"
cx_need redis-server redis-cli redis-benchmark
pl_start_server
# Timings, process IDs and clock times are the only things that vary.
cx_normalise() {
  if [ "$1" = out ]; then
    sed -E 's/^[0-9]+:([A-Z]) [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:.]+ /\1 /; s/pid=[0-9]+/pid=N/
            s/"[0-9.]+"/"N"/g'
  else
    cat
  fi
}
cx_pair /bin/bash -ec '
redis-server --port 0 --unixsocket "$PWD/redis.sock" --save "" --appendonly no --dir "$PWD" \
  --daemonize no --loglevel notice >server.log &
server=$!
until redis-cli -s redis.sock ping >/dev/null 2>&1; do sleep 0.05; done
redis-cli -s redis.sock set greeting hello
redis-cli -s redis.sock get greeting
redis-cli -s redis.sock incrby counter 41
redis-benchmark -s redis.sock -n 200 -c 4 -t set,get,lpush --csv
redis-cli -s redis.sock dbsize
redis-cli -s redis.sock shutdown nosave || true
wait "$server" && echo "server exited 0"
cat server.log'
grep -q '^server exited 0$' "$PL_TMP/base.out" || fail "redis did not run: $(cat "$PL_TMP/base.out")"

cx_graph 250 'all_exited and (starts("^redis-server ") | length == 1)
  and (starts("^redis-benchmark ") | length == 1) and (starts("^redis-cli .* dbsize$") | length == 1)'
cx_check "not one connected graph" 'connected'
cx_check "the server or a client does not descend from the script" \
  '. as $all | root.ProcessID as $sh
   | all(starts("^redis-")[]; . as $s | $all | descends_from_pid($s; $sh))'
cx_check "the server's exit is missing" \
  'starts("^redis-server ")[0].ProcessID as $p | exited($p)'
