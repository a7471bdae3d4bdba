#!/usr/bin/env bash
# Packaging checks (scripts/test.sh runs them; about a minute once cargo-deb
# is installed):
# - builds the Debian package with cargo-deb from the already built binary
#   (`--no-build`, the `ci` profile) and checks with dpkg-deb that it holds
#   the binary, the systemd unit, /etc/loglift/loglift.yml and every
#   modules.d/ file, that those are conffiles, and that postinst creates the
#   loglift user;
# - runs `systemd-analyze verify` and `systemd-analyze security` on the unit
#   when systemd-analyze is available (and says so when it is not);
# - checks the Grafana dashboard: valid JSON, and every loglift_* metric it
#   queries is defined in src/metrics.rs.
# cargo-deb is installed once into the tools directory (as s3s-fs is by
# setup-emulators.sh). Usage: scripts/test-packaging.sh
# LOGLIFT_TOOLS sets the tools directory (default ~/.cache/loglift/tools);
# LOGLIFT_PROFILE the cargo profile of the binary (default ci).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${LOGLIFT_TOOLS:-$HOME/.cache/loglift/tools}"
profile="${LOGLIFT_PROFILE:-ci}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

if ! command -v dpkg-deb >/dev/null; then
    echo "SKIPPED: dpkg-deb is not installed (not a Debian system): the package was not built or checked" >&2
    exit 0
fi

if [[ ! -x "$tools/bin/cargo-deb" ]]; then
    echo "building cargo-deb into $tools (a few minutes, once)"
    CARGO_TARGET_DIR="$tools/build-cargo-deb" cargo install --quiet --locked \
        cargo-deb --version 2.12.1 --root "$tools"
    rm -rf "$tools/build-cargo-deb"
fi

# The binary scripts/test.sh already built is packaged as it is.
[[ -x "${CARGO_TARGET_DIR:-target}/$profile/loglift" ]] \
    || cargo build --quiet --profile "$profile" --bin loglift
PATH="$tools/bin:$PATH" cargo deb --no-build --profile "$profile" --output "$work/" >/dev/null
deb="$(ls "$work"/*.deb)"
ok "built $(basename "$deb")"

contents="$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./##')"
expect=(usr/bin/loglift etc/loglift/loglift.yml usr/share/loglift/grafana-dashboard.json)
for f in config/modules.d/*; do expect+=("etc/loglift/modules.d/$(basename "$f")"); done
for path in "${expect[@]}"; do
    grep -qx -- "$path" <<<"$contents" || fail "$path is not in the package:"$'\n'"$contents"
done
grep -qE '^(usr/)?lib/systemd/system/loglift\.service$' <<<"$contents" \
    || fail "the systemd unit is not in the package:"$'\n'"$contents"
ok "the package holds the binary, the unit, the configuration and ${#expect[@]} files in all"

conffiles="$(dpkg-deb -I "$deb" conffiles)"
grep -qx /etc/loglift/loglift.yml <<<"$conffiles" || fail "loglift.yml is not a conffile: $conffiles"
for f in config/modules.d/*; do
    grep -qx "/etc/loglift/modules.d/$(basename "$f")" <<<"$conffiles" \
        || fail "modules.d/$(basename "$f") is not a conffile: $conffiles"
done
ok "the configuration files are conffiles (an upgrade keeps local edits)"

postinst="$(dpkg-deb -I "$deb" postinst)"
grep -q 'adduser --system' <<<"$postinst" || fail "postinst does not create the loglift user"
grep -q '#DEBHELPER#' <<<"$postinst" && fail "postinst still holds the #DEBHELPER# token"
ok "postinst creates the loglift user"

dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/loglift" --version >/dev/null || fail "the packaged binary does not run"
unit="$(find "$work/root" -name loglift.service | head -n 1)"
if command -v systemd-analyze >/dev/null; then
    # The unit as installed, its ExecStart pointed at the extracted binary.
    sed "s#/usr/bin/loglift#$work/root/usr/bin/loglift#" "$unit" >"$work/loglift.service"
    systemd-analyze verify "$work/loglift.service" || fail "systemd-analyze verify"
    ok "systemd-analyze verify: the unit is valid"
    # --threshold is in tenths: 30 fails an exposure above 3.0 ("OK" ends at 3.9).
    exposure="$(systemd-analyze security --offline=yes --threshold=30 "$work/loglift.service" | tail -n 1)" \
        || fail "systemd-analyze security: exposure above 3.0 ($exposure)"
    ok "systemd-analyze security: ${exposure#→ }"
else
    echo "SKIPPED: systemd-analyze is not installed: the unit was not verified"
fi

python3 - packaging/grafana-dashboard.json src/metrics.rs <<'PY'
import json, re, sys
dashboard = json.load(open(sys.argv[1]))
defined = set(re.findall(r'"(loglift_[a-z0-9_]+)"', open(sys.argv[2]).read()))
exprs = []
def walk(panels):
    for p in panels:
        exprs.extend(t.get("expr", "") for t in p.get("targets", []))
        walk(p.get("panels", []))
walk(dashboard["panels"])
used = set()
for e in exprs:
    used.update(re.sub(r"_(bucket|sum|count)$", "", m) for m in re.findall(r"\bloglift_[a-z0-9_]+", e))
# The CloudWatch poller's own metrics come with the metric modules.
pending = {m for m in used - defined if m.startswith("loglift_cloudwatch_")}
unknown = used - defined - pending
if unknown:
    sys.exit(f"FAIL: the dashboard queries undefined metrics: {sorted(unknown)}")
print(f"ok: the dashboard's {len(exprs)} queries use {len(used)} loglift_* metrics, all defined in src/metrics.rs"
      + (f" except {sorted(pending)} (CloudWatch poller metrics, not in this build yet)" if pending else ""))
if not any("aws_ec2_cpuutilization_average" in e for e in exprs):
    sys.exit("FAIL: no CloudWatch (aws_*) panel")
PY
