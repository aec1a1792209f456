#!/bin/bash
# Servers serve concurrent calls: 8 client processes at once, then one
# client with 8 threads x 25 calls, every input with its own right answer.
. "$(dirname "$0")/lib.sh"

check_many() {  # NAME: every "Got value V for --in X" has V = (X+7)*3
	local n
	n=$(awk '$1=="Got" && $2=="value" && $4=="for" && $5=="--in" {
		if ($3 != ($6 + 7) * 3) bad = 1; n++ }
		END { print bad ? -1 : n }' "$T/$1.out")
	[ "$n" = 200 ] || fail "$1: $n right answers out of 200"
	[ "$(sort -u "$T/$1.out" | wc -l)" = 200 ] || fail "$1: duplicate answers"
}

for mode in "$ARITH" "$ARITH_CPP" "$ARITH_CPP --callback"; do
	set -- $mode
	bin=$1
	shift
	start_server mul "$bin" "$@" --mul 3
	p2=$PORT
	start_server add "$bin" "$@" --add 7 --next-server ":$p2"
	p1=$PORT

	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		"$ARITH" --in "$i" --next-server ":$p1" >"$T/c$i.out" 2>"$T/c$i.err" &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6 7 8; do
		wait "${pids[$((i - 1))]}" || fail "client $i failed"
		[ "$(cat "$T/c$i.out")" = "Got value $(((i + 7) * 3))" ] ||
			fail "client $i got '$(cat "$T/c$i.out")'"
	done

	for client in "$ARITH" "$ARITH_CPP"; do
		run many "$client" --in 100 --next-server ":$p1" --threads 8 --count 25
		expect_rc many 0
		check_many many
		grep -q "^completed 200 calls in " "$T/many.err" ||
			fail "no summary line"
	done
	stop_server add
	stop_server mul
done
