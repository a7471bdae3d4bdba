#!/usr/bin/env bash
# Runs every fuzz target of parsers/fuzz for SECONDS each (default 600) with
# cargo-fuzz (libFuzzer). Needs `cargo install cargo-fuzz`; on a stable
# toolchain it builds with RUSTC_BOOTSTRAP=1 and without sanitizers.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../parsers"
seconds="${1:-600}"; shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi
for t in "${targets[@]}"; do
    echo "==> fuzzing $t for ${seconds}s"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" --sanitizer none --release -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tail -n 15
done
