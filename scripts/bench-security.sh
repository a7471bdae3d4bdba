#!/usr/bin/env bash
# Speed and memory acceptance of the security datasets, in one run on one machine.
#
# Speed (default): generates LINES records of each security kind
# (scripts/gen_security_logs.py) and of the two references, CloudTrail and ALB
# (gen_logs.py), gzips each, checks every file parses without a
# `pipeline_error` event, then times `taskset -c $CORE loglift parse --dataset
# <ds> FILE.gz > /dev/null` in ROUNDS alternating rounds (median of the
# child's CPU time, user+sys; wall time shown too) and prints records/s,
# uncompressed MB/s (10^6 bytes) and the acceptance ratios:
#   each JSON-per-line dataset's MB/s / CloudTrail's MB/s   (target >= 0.8)
#   CloudFront's records/s / ALB's records/s                 (target >= 0.8)
#
# Memory (--memory): makes a ~SIZE_MB (default 1000) MB uncompressed file of
# each security kind by repeating a generated block, written gzip'd (level 1,
# streaming), and reports the peak RSS (`/usr/bin/time -v`, "Maximum resident
# set size") of parsing it, next to that of a LINES-record file: it must stay
# flat (tens of MB) whatever the size.
#
# Usage: scripts/bench-security.sh [--memory] [LINES]
#   LINES  records per generated file (default 100000)
# LOGLIFT=path the binary (default ${CARGO_TARGET_DIR:-target}/ci/loglift; nothing is built);
# GEN_LOGS=path gen_logs.py (default ../shared/tools/gen_logs.py);
# CORE=n (default 0), ROUNDS=n (default 5), SIZE_MB=n (default 1000), TMPDIR for the work dir.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=speed
if [ "${1:-}" = "--memory" ]; then mode=memory; shift; fi
lines="${1:-100000}"
bin="${LOGLIFT:-${CARGO_TARGET_DIR:-target}/ci/loglift}"
gen_logs="${GEN_LOGS:-../shared/tools/gen_logs.py}"
[ -x "$bin" ] || { echo "no loglift binary at $bin (set LOGLIFT)" >&2; exit 1; }
[ -f "$gen_logs" ] || { echo "no gen_logs.py at $gen_logs (set GEN_LOGS)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

python3 - "$mode" "$lines" "$bin" "$gen_logs" "$work" "${CORE:-0}" "${ROUNDS:-5}" "${SIZE_MB:-1000}" <<'PY'
import gzip, os, re, resource, shutil, statistics, subprocess, sys, time

mode, lines, binary, gen_logs, work, core, rounds, size_mb = sys.argv[1:9]
lines, rounds, size_mb = int(lines), int(rounds), int(size_mb)
gen_sec = os.path.join("scripts", "gen_security_logs.py")

# (name, dataset, generator, kind, class): class "json" is compared with CloudTrail, "w3c" with ALB.
SETS = [("cloudtrail", "aws.cloudtrail", gen_logs, "cloudtrail", "ref"),
        ("alb", "aws.elb_logs", gen_logs, "alb", "ref"),
        ("waf", "aws.waf", gen_sec, "waf", "json"),
        ("route53", "aws.route53_resolver_logs", gen_sec, "route53", "json"),
        ("firewall", "aws.firewall_logs", gen_sec, "firewall", "json"),
        ("guardduty", "aws.guardduty", gen_sec, "guardduty", "json"),
        ("iru", "iru.audit", gen_sec, "iru", "json"),
        ("cloudfront", "aws.cloudfront_logs", gen_sec, "cloudfront", "w3c")]

def generate(name, gen, kind, n):
    raw = os.path.join(work, f"{name}.log")
    subprocess.run([sys.executable, gen, kind, str(n), raw], check=True)
    return raw

def gzip_file(raw, level=6):
    gz = raw + ".gz"
    with open(raw, "rb") as src, gzip.open(gz, "wb", compresslevel=level) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return gz

def check(ds, gz, expected):
    """Every record an event, none of them a pipeline_error."""
    p = subprocess.Popen([binary, "parse", "--dataset", ds, gz], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    events = errors = 0
    for line in p.stdout:
        events += 1
        if b'"pipeline_error"' in line:
            errors += 1
    if p.wait() != 0 or errors or events != expected:
        sys.exit(f"{ds}: exit {p.returncode}, {events} events (expected {expected}), {errors} pipeline_error")

def cpu_run(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall

def peak_rss_kb(ds, gz):
    p = subprocess.run(["/usr/bin/time", "-v", binary, "parse", "--dataset", ds, gz],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, text=True)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))

def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())

print(f"binary {binary}; {os.cpu_count()} cpus; load average at start {loadavg()}")

if mode == "speed":
    files = {}
    for name, ds, gen, kind, cls in SETS:
        raw = generate(name, gen, kind, lines)
        size = os.path.getsize(raw)
        gz = gzip_file(raw)
        os.remove(raw)
        check(ds, gz, lines)
        files[name] = (ds, gz, size, cls)
    cpu = {name: [] for name in files}
    wall = {name: [] for name in files}
    for _ in range(rounds):
        for name, (ds, gz, _, _) in files.items():
            c, w = cpu_run(["taskset", "-c", core, binary, "parse", "--dataset", ds, gz])
            cpu[name].append(c)
            wall[name].append(w)
    print(f"{lines:,} records per file, gzip'd; {rounds} alternating rounds on core {core}; median CPU time (user+sys) of the child")
    print(f"{'dataset':28} {'MB':>8} {'B/rec':>6} {'cpu s':>7} {'wall s':>7} {'records/s':>11} {'MB/s':>8}")
    rps, mbs = {}, {}
    for name, (ds, _, size, _) in files.items():
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        rps[name], mbs[name] = lines / c, size / 1e6 / c
        print(f"{ds:28} {size / 1e6:8.1f} {size // lines:6d} {c:7.3f} {w:7.3f} {rps[name]:11,.0f} {mbs[name]:8.1f}")
    print("acceptance ratios (target >= 0.80):")
    for name, (ds, _, _, cls) in files.items():
        if cls == "json":
            r = mbs[name] / mbs["cloudtrail"]
            print(f"  {ds:28} MB/s / aws.cloudtrail MB/s      = {r:5.2f}  {'ok' if r >= 0.8 else 'BELOW TARGET'}")
        elif cls == "w3c":
            r = rps[name] / rps["alb"]
            print(f"  {ds:28} records/s / aws.elb_logs (ALB) = {r:5.2f}  {'ok' if r >= 0.8 else 'BELOW TARGET'}")
else:
    print(f"peak RSS of `loglift parse --dataset <ds> FILE.gz > /dev/null` (/usr/bin/time -v)")
    print(f"{'dataset':28} {'small MB':>9} {'RSS MB':>7} {'big MB':>8} {'RSS MB':>7} {'cpu s':>7}")
    block_lines = min(lines, 20000)
    for name, ds, gen, kind, cls in SETS:
        if cls == "ref":
            continue
        raw = generate(name, gen, kind, lines)
        small_size = os.path.getsize(raw)
        small = gzip_file(raw)
        os.remove(raw)
        small_rss = peak_rss_kb(ds, small)
        os.remove(small)
        raw = generate(name, gen, kind, block_lines)
        with open(raw, "rb") as f:
            block = f.read()
        os.remove(raw)
        header = b""
        if kind == "cloudfront":  # the #Version/#Fields header once, then rows only
            cut = block.index(b"\n", block.index(b"#Fields")) + 1
            header, block = block[:cut], block[cut:]
        big = os.path.join(work, f"{name}.big.gz")
        size = len(header)
        with gzip.open(big, "wb", compresslevel=1) as out:
            out.write(header)
            while size < size_mb * 1_000_000:
                out.write(block)
                size += len(block)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        big_rss = peak_rss_kb(ds, big)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        os.remove(big)
        c = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"{ds:28} {small_size / 1e6:9.1f} {small_rss / 1024:7.1f} {size / 1e6:8.1f} {big_rss / 1024:7.1f} {c:7.1f}", flush=True)
print(f"load average at end {loadavg()}")
PY
