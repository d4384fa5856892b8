#!/usr/bin/env bash
# Same-machine comparison of plughost's pump_kernel scenario with the same protocol as a
# five-thread kernel under shuttle (random scheduler) and loom (preemption-bounded search).
#
#   comparisons/pump-kernel/compare.sh [ROUNDS] [EXECUTIONS]     # defaults: 3, 100000
#
# Builds the kernel twice (shuttle; loom with `--features loom`) and plughost's release CLI,
# then alternates the sampling runs round by round, so that load from elsewhere on the
# machine falls on every tool alike: shuttle's executions/s, plughost's schedules/s with
# --jobs 1 and --jobs 2, and plughost's over shuttle's. Then the exhaustive searches: loom
# and plughost's DFS (with and without sleep sets) at preemption bounds 1, 2 and 3. Each
# figure is the tool's own timing of its runs, without process start-up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-3}
executions=${2:-100000}

cargo build --quiet --release --locked --manifest-path "$here/Cargo.toml"
cargo build --quiet --release --locked --manifest-path "$here/Cargo.toml" --features loom \
    --target-dir "$here/target/loom"
(cd "$root" && cargo build --quiet --release --locked -p plughost-scenarios --bins)
shuttle="$here/target/release/pump-kernel"
loom="$here/target/loom/release/pump-kernel"
plughost="$root/target/release/plughost"

# The number after "NAME": in a JSON line on stdin.
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "sampling: $executions executions (shuttle seed 0) / seeds (plughost start seed 0) per run"
printf '%-5s %-16s %12s %14s %14s %8s %8s\n' round "load (1/5/15m)" "shuttle/s" "plughost j1/s" \
    "plughost j2/s" "j1/shut" "j2/shut"
for round in $(seq 1 "$rounds"); do
    at=$(load)
    s=$("$shuttle" --executions "$executions" --seed 0 2>/dev/null | field executions_per_sec)
    p1=$("$plughost" explore --scenario pump_kernel --seeds "$executions" --jobs 1 --json |
        field schedules_per_sec)
    p2=$("$plughost" explore --scenario pump_kernel --seeds "$executions" --jobs 2 --json |
        field schedules_per_sec)
    printf '%-5s %-16s %12.0f %14.0f %14.0f %8s %8s\n' "$round" "$at" "$s" "$p1" "$p2" \
        "$(ratio "$p1" "$s")" "$(ratio "$p2" "$s")"
done

echo
echo "exhaustive search within a preemption bound: loom | plughost DFS with sleep sets | without"
echo "(plughost: --jobs 1; its seconds are its runs over its runs per second)"
printf '%-5s %-16s %11s %8s | %9s %8s %8s | %12s %8s\n' bound "load (1/5/15m)" "loom execs" "loom s" \
    schedules runs s "runs (none)" "s (none)"
for bound in 1 2 3; do
    at=$(load)
    l=$("$loom" --preemption-bound "$bound" 2>/dev/null)
    d=$("$plughost" explore --scenario pump_kernel --strategy dfs --preemption-bound "$bound" \
        --jobs 1 --json)
    n=$("$plughost" explore --scenario pump_kernel --strategy dfs --preemption-bound "$bound" \
        --reduction none --jobs 1 --json)
    d_s=$(seconds "$(field seeds_run <<<"$d")" "$(field schedules_per_sec <<<"$d")")
    n_s=$(seconds "$(field seeds_run <<<"$n")" "$(field schedules_per_sec <<<"$n")")
    printf '%-5s %-16s %11s %8s | %9s %8s %8s | %12s %8s\n' "$bound" "$at" \
        "$(field executions <<<"$l")" "$(field seconds <<<"$l")" "$(field schedules <<<"$d")" \
        "$(field runs <<<"$d")" "$d_s" "$(field runs <<<"$n")" "$n_s"
done

# Instructions per execution do not depend on the load: cachegrind counts a short and a long
# sampling run of each and divides the difference by the runs between them.
if ! command -v valgrind >/dev/null; then
    echo
    echo "instructions per execution: skipped (no valgrind)"
    exit 0
fi
instructions() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
per_run() {
    local tool=$1 short=$2 long=$3
    awk -v s="$short" -v l="$long" -v n=2000 -v t="$tool" \
        'BEGIN { printf "%-34s %9.1fk\n", t, (l - s) / n / 1000 }'
}
echo
echo "instructions per execution (cachegrind; 3000 minus 1000 runs, over 2000)"
per_run "shuttle kernel, random scheduler" \
    "$(instructions "$shuttle" --executions 1000)" "$(instructions "$shuttle" --executions 3000)"
per_run "plughost pump_kernel, --jobs 1" \
    "$(instructions "$plughost" explore --scenario pump_kernel --seeds 1000 --jobs 1 --json)" \
    "$(instructions "$plughost" explore --scenario pump_kernel --seeds 3000 --jobs 1 --json)"
