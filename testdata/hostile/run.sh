#!/bin/bash
# run.sh BIN NAME ARGS...: one adversarial case under a 4 GB address-space
# cap and a 20 s timeout; prints NAME, exit code, seconds, max RSS, and the
# last line of stderr (cut) and the stdout size.
bin=$1 name=$2; shift 2
out=$(mktemp) err=$(mktemp) tm=$(mktemp)
( ulimit -v 4000000; /usr/bin/time -f "%e %M" -o "$tm" timeout -s KILL 20 nice -n 5 "$bin" "$@" >"$out" 2>"$err" )
rc=$?
read secs rss < <(tail -1 "$tm")
last=$(grep -v '^\s*$' "$err" | tail -1 | cut -c1-150 | cat -v)
printf '%-22s rc=%-3s %6ss %7s KB out=%sB | %s\n' "$name" "$rc" "$secs" "$rss" "$(stat -c %s "$out")" "$last"
rm -f "$out" "$err" "$tm"
