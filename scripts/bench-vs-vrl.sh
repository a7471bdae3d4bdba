#!/usr/bin/env bash
# Side-by-side speed of `loglift parse` (complete ECS events as NDJSON) and
# Vector's VRL (`encode_json(parse_aws_*_log!(.message))`, a flat map) on the
# same generated files, in the same run. Prints lines/s of each and the ratio.
#
# Usage: scripts/bench-vs-vrl.sh VRL_BENCH_BIN [GEN_LOGS_PY] [LINES]
#   VRL_BENCH_BIN  the vrl-bench binary (runs one VRL program over a file)
#   GEN_LOGS_PY    generator of realistic lines (default ../shared/tools/gen_logs.py)
#   LINES          lines per file (default 200000)
# loglift is timed as a whole command (start-up, reading, output to /dev/null);
# VRL's own timer excludes reading the file. Rounds alternate; the median is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
vrl="${1:?usage: scripts/bench-vs-vrl.sh VRL_BENCH_BIN [GEN_LOGS_PY] [LINES]}"
gen="${2:-../shared/tools/gen_logs.py}"
lines="${3:-200000}"
rounds="${ROUNDS:-5}"
cargo build --release --quiet --bin loglift
bin="${CARGO_TARGET_DIR:-target}/release/loglift"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

bench() { # kind dataset vrl-program
    local kind="$1" dataset="$2" program="$3" file="$work/$1.log"
    python3 "$gen" "$kind" "$lines" "$file"
    local ours=() theirs=()
    for _ in $(seq "$rounds"); do
        local t0 t1
        t0=$(date +%s.%N); "$bin" parse --dataset "$dataset" "$file" > /dev/null; t1=$(date +%s.%N)
        ours+=("$(python3 -c "print($lines / ($t1 - $t0))")")
        theirs+=("$("$vrl" "$program" "$file" | sed -n 's/.*lines_per_s=\([0-9.]*\).*/\1/p')")
    done
    python3 - "$kind" "$lines" "${ours[*]}" "${theirs[*]}" "$(stat -c %s "$file")" <<'PY'
import statistics, sys
kind, lines, ours, theirs, size = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), int(sys.argv[5])
o, t = statistics.median(map(float, ours)), statistics.median(map(float, theirs))
print(f"{kind:<8} loglift {o:>10,.0f} lines/s {o * size / lines / 1e6:6.1f} MB/s | VRL {t:>10,.0f} lines/s | ratio {o / t:4.2f}x")
PY
}
bench vpcflow aws.vpcflow 'encode_json(parse_aws_vpc_flow_log!(.message))'
bench alb aws.elb_logs 'encode_json(parse_aws_alb_log!(.message))'
