#!/usr/bin/env bash
# The demo: parses every sample of tests/fixtures/<dataset>/ with
# `loglift parse`, then prints the number of events per dataset and one
# pretty-printed example event.
#
# A file whose path names its dataset is read with `--dataset auto`; the
# others with `--dataset <dataset>` (the name of their directory).
# Usage: scripts/demo.sh             (from anywhere in the repository)
# LOGLIFT=path/to/loglift scripts/demo.sh uses an already built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${LOGLIFT:-}" ]]; then
    loglift=("$LOGLIFT")
else
    echo "==> cargo run --release (the first run builds loglift; that takes a few minutes)" >&2
    loglift=(cargo run --release --quiet --bin loglift --)
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for dir in tests/fixtures/*/; do
    dataset="$(basename "$dir")"
    for file in "$dir"*; do
        [[ -f "$file" ]] || continue
        # Exit code 2: no routing rule matches this path; name the dataset instead.
        if "${loglift[@]}" parse --dataset auto "$file" >>"$out/$dataset.ndjson" 2>/dev/null; then
            how=auto
        else
            rc=$?
            if [[ $rc -ne 2 ]]; then
                echo "loglift parse --dataset auto $file failed (exit $rc)" >&2
                exit 1
            fi
            "${loglift[@]}" parse --dataset "$dataset" "$file" >>"$out/$dataset.ndjson"
            how="$dataset"
        fi
        printf '  %-22s --dataset %-20s %s\n' "$dataset" "$how" "$(basename "$file")" >&2
    done
done

python3 - "$out" <<'EOF'
import json, os, sys

out = sys.argv[1]
example = None
print()
print(f"{'dataset':<22} {'events':>7} {'parse errors':>13}")
total = 0
for name in sorted(os.listdir(out)):
    events = [json.loads(line) for line in open(os.path.join(out, name)) if line.strip()]
    errors = sum(1 for e in events if e.get("event", {}).get("kind") == "pipeline_error")
    total += len(events)
    print(f"{name.removesuffix('.ndjson'):<22} {len(events):>7} {errors:>13}")
    if example is None and name.startswith("aws.vpcflow") and events:
        example = events[0]
print(f"{'total':<22} {total:>7}")
if example is not None:
    print("\nAn example event (aws.vpcflow):")
    print(json.dumps(example, indent=2, sort_keys=True))
EOF
