#!/usr/bin/env bash
# Scores `loglift parse` against Elastic's own pipeline fixtures (score.py,
# field by field), twice: without GeoIP (geo fields not scored) and with
# MaxMind's test databases (tests/fixtures/geoip, the ones Elastic's test
# stack uses: geo and AS fields scored). Fails when any data stream scores
# under MIN percent in either mode.
# Usage: tests/conformance/check.sh BIN [MIN]
set -euo pipefail
here="$(dirname "$0")"
bin="$1"; min="${2:-95}"
status=0
for mode in default geoip; do
    args=()
    [ "$mode" = geoip ] && args=(--geoip "$here/../fixtures/geoip")
    echo "-- $mode"
    out="$(python3 "$here/score.py" "$bin" "${args[@]}")"
    echo "$out"
    echo "$out" | awk -v min="$min" -v mode="$mode" '
        /%$/ && $1 != "data" { score = $NF; sub("%", "", score); if (score + 0 < min) { print "below " min "% (" mode "): " $1; bad = 1 } }
        END { exit bad }' || status=1
done
exit $status
