#!/usr/bin/env bash
# nginx, a master and two workers on a unix socket (no port to pick; nothing
# that needs root), serving curl: the same responses, the same access log
# and exit status, and a graph in which each worker descends from the
# master's fork event for it.
. "$(dirname "$0")/lib.sh"
cx_need nginx curl
pl_start_server
# Workers run as nobody when the master is root: they must reach the files.
chmod 755 "$PL_TMP"
cx_prepare() {
  chmod 755 .
  mkdir www logs
  echo '<p>hello</p>' >www/index.html
  local t
  cat >nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $PWD/nginx.pid;
error_log $PWD/logs/error.log notice;
events { worker_connections 64; }
http {
  access_log $PWD/logs/access.log;
$(for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $PWD/tmp_$t;"; done)
  server {
    listen unix:$PWD/nginx.sock;
    root $PWD/www;
  }
}
CONF
  chmod -R a+rX .
}
# The access log's clock times are the only thing that varies.
cx_normalise() {
  if [ "$1" = out ]; then sed -E 's#\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}(:[0-9]{2}){3} \+0000\]#[T]#'; else cat; fi
}
cx_pair /bin/bash -ec '
nginx -p "$PWD" -c "$PWD/nginx.conf" -e "$PWD/logs/error.log" &
master=$!
# Logged once the socket listens, before the workers start.
until grep -q "start worker processes" logs/error.log 2>/dev/null; do sleep 0.05; done
for i in 1 2 3 4; do curl -sS --unix-socket nginx.sock http://localhost/index.html; done
curl -sS -o /dev/null -w "%{http_code}\n" --unix-socket nginx.sock http://localhost/missing
nginx -p "$PWD" -c "$PWD/nginx.conf" -e "$PWD/logs/error.log" -s quit
wait "$master" && echo "master exited 0"
cat logs/access.log'
[ "$(grep -c '^<p>hello</p>$' "$PL_TMP/base.out")" = 4 ] && grep -q '^404$' "$PL_TMP/base.out" &&
  grep -q '^master exited 0$' "$PL_TMP/base.out" || fail "nginx did not serve: $(cat "$PL_TMP/base.out")"

# The workers are forks: no start event of their own; nginx names them.
cx_graph 200 'def workers: map(select(.ProcessName | test("^nginx: worker process")) | .ProcessID) | unique;
  all_exited and (starts("^nginx -p .* -s quit$") | length == 1) and (workers | length == 2)'
cx_check "not one connected graph" 'connected'
cx_check "a worker does not descend from the master's fork event for it" \
  '. as $all | map(select(.ProcessName | test("^nginx: worker process")) | .ProcessID) | unique
   | all(.[]; . as $w | ($all | first_event($w)) as $f | ($all | fork_event($w)) as $fork
       | $fork != null and ($all | descends($f; $fork)))'
cx_check "the master does not descend from the script" \
  '. as $all | root.ProcessID as $sh | all(starts("^nginx ")[]; . as $s | $all | descends_from_pid($s; $sh))'
