#!/bin/bash
# sigint_latency.sh BIN PATTERN DELAY ARGS...: run BIN ARGS under a pseudo
# terminal (so that stage messages are printed), wait until PATTERN shows,
# wait DELAY s more, send SIGINT to BIN, and print how long it took to exit
# (capped at 60 s, then SIGKILL) and its exit code.
bin=$1 pat=$2 delay=$3; shift 3
log=$(mktemp)
cmd="nice -n 5 $bin $*"
script -qfec "$cmd" "$log" >/dev/null 2>&1 &
spid=$!
sleep 1
pid=$(pgrep -n -f "^$bin")
until [ "$pat" = "-" ] || grep -q -- "$pat" "$log"; do
  if ! kill -0 $pid 2>/dev/null; then echo "exited before the stage"; tr '\r' '\n' < "$log" | tail -3; exit 1; fi
  sleep 0.1
done
sleep "$delay"
t0=$(date +%s.%N)
kill -INT $pid
for i in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
t1=$(date +%s.%N)
if kill -0 $pid 2>/dev/null; then kill -9 $pid; echo "latency >30 s (killed with -9)"; else echo "latency $(echo "$t1 - $t0" | bc) s"; fi
wait $spid
tr '\r' '\n' < "$log" | grep -v '^\s*$' | tail -2
