#!/usr/bin/env bash
# Scores `loglift parse` against Elastic's own pipeline fixtures (score.py,
# field by field) and fails when any data stream scores under MIN percent.
# Usage: tests/conformance/check.sh BIN [MIN]
set -euo pipefail
here="$(dirname "$0")"
bin="$1"; min="${2:-95}"
out="$(python3 "$here/score.py" "$bin")"
echo "$out"
echo "$out" | awk -v min="$min" '
    /%$/ && $1 != "data" { score = $NF; sub("%", "", score); if (score + 0 < min) { print "below " min "%: " $1; bad = 1 } }
    END { exit bad }'
