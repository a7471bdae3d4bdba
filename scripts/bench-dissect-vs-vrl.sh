#!/usr/bin/env bash
# A user-defined dissect dataset against VRL's parse_regex, one core each, in
# one run: `loglift parse --config` of a six-key dissect pattern (complete
# ECS events as NDJSON to /dev/null) and vrl-bench running
# `encode_json(parse_regex!(.message, r'…'))` with the equivalent regular
# expression, over the same generated appliance lines. Prints lines/s of each
# and the ratio (median of alternating rounds).
#
# Usage: scripts/bench-dissect-vs-vrl.sh VRL_BENCH_BIN [LINES]
#   VRL_BENCH_BIN  ../shared/tools/vrl-bench/target/release/vrl-bench (cargo build --release there)
#   LINES          default 300000
# LOGLIFT=path picks the binary (default: $CARGO_TARGET_DIR/release/loglift);
# CORE=n the core both run on (default 0); ROUNDS=n (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
vrl="${1:?usage: scripts/bench-dissect-vs-vrl.sh VRL_BENCH_BIN [LINES]}"
lines="${2:-300000}"
rounds="${ROUNDS:-5}"; core="${CORE:-0}"
bin="${LOGLIFT:-${CARGO_TARGET_DIR:-target}/release/loglift}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

python3 - "$lines" "$work/appliance.log" <<'PY'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
r = random.Random(42)
ip = lambda: f"{r.randrange(1, 223)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
with open(out, "w") as f:
    for i in range(n):
        f.write(f"2024-03-05T10:{i // 60 % 60:02d}:{i % 60:02d}Z fw-{r.randrange(1, 9)} acmefw[{r.randrange(100, 9999)}]: "
                f"{r.choice(['ALLOW', 'ALLOW', 'DENY', 'DROP'])} {ip()}:{r.randrange(1024, 65535)} {ip()}:{r.choice([22, 80, 443, 3306])}\n")
PY
cat >"$work/loglift.yml" <<'YAML'
datasets:
  - name: acme.firewall
    selector: '^acme/'
    framing: lines
    dissect: '%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src} %{dst}'
YAML
program='encode_json(parse_regex!(.message, r'"'"'^(?P<ts>[^ ]*) (?P<host>[^ ]*) acmefw\[(?P<pid>[^\]]*)\]: (?P<verdict>[^ ]*) (?P<src>[^ ]*) (?P<dst>.*)$'"'"'))'
ours=() theirs=()
for _ in $(seq "$rounds"); do
    t0=$(date +%s.%N)
    taskset -c "$core" "$bin" parse --config "$work/loglift.yml" --dataset acme.firewall "$work/appliance.log" >/dev/null
    t1=$(date +%s.%N)
    ours+=("$(python3 -c "print($lines / ($t1 - $t0))")")
    theirs+=("$(taskset -c "$core" "$vrl" "$program" "$work/appliance.log" | sed -n 's/.*lines_per_s=\([0-9.]*\).*/\1/p')")
done
python3 - "$lines" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
lines, ours, theirs = int(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split()
o, t = statistics.median(map(float, ours)), statistics.median(map(float, theirs))
print(f"dissect, six keys, {lines:,} lines, one core: loglift {o:,.0f} lines/s | VRL parse_regex {t:,.0f} lines/s | ratio {o / t:.2f}x")
PY
