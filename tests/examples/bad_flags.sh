#!/bin/bash
# Every malformed command line is refused with exit code 2 and an
# "arith: ..." reason (never a crash, never a started server).
. "$(dirname "$0")/lib.sh"

bad=(
	""
	"--add"
	"--add x --listen-addr :0"
	"--add 1"
	"--in 3"
	"--in 3 --next-server :0"
	"--in 3 --next-server :99999"
	"--in 3 --next-server :abc"
	"--in 3 --next-server"
	"--in 3 --next-server :1 --listen-addr :2"
	"--add 1 --mul 2 --listen-addr :0"
	"--in 1 --add 2 --listen-addr :0"
	"--add 99999999999999999999 --listen-addr :0"
	"--add 1 --listen-addr :0 --threads 2"
	"--in 1 --next-server :1 --threads 0"
	"--in 1 --next-server :1 --deadline-ms -5"
	"--bogus 1"
	"positional"
	"--listen-addr= --add 1"
)
for impl in "$ARITH" "$ARITH_CPP"; do
	for args in "${bad[@]}"; do
		# shellcheck disable=SC2086 # the cases are word lists
		run bad "$impl" $args
		expect_rc "bad ($args)" 2
		grep -q "^arith: " "$T/bad.err" || fail "no reason given for '$args'"
		grep -q "^usage: " "$T/bad.err" || fail "no usage for '$args'"
	done
	run help "$impl" --help
	expect_rc help 0
	grep -q "^usage: " "$T/help.out" || fail "--help prints no usage"
done
run cbclient "$ARITH_CPP" --in 1 --next-server :1 --callback
expect_rc cbclient 2
