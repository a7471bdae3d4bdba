#!/usr/bin/env python3
"""The cost of GeoIP enrichment, in one run: `loglift parse` of the same
generated VPC flow file without and with City+ASN databases, CPU time (user +
system of the loglift process) and wall time per round, rounds alternating,
medians reported with their ratio; then the lookups of one enriched run (from
its debug log): database hits, misses, private addresses, cache hits.

usage: scripts/bench-geoip.py [--bin BIN] [--lines N] [--rounds R] [--geoip DIR] [--gen GEN_LOGS_PY]
  BIN    default $CARGO_TARGET_DIR/release/loglift (build it first: cargo build --release)
  N      default 300000 lines of `gen_logs.py vpcflow` (realistic address mix:
         two thirds private, one third random public addresses)
  DIR    default tests/fixtures/geoip (MaxMind's test databases)
Output goes to /dev/null: the figure is the agent's parsing, not a disk.
"""
import argparse, os, re, resource, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def run(cmd, env=None):
    """CPU seconds (user + sys) and wall seconds of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall

def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--bin", default=os.path.join(target, "release", "loglift"))
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--geoip", default=os.path.join(ROOT, "tests", "fixtures", "geoip"))
    ap.add_argument("--gen", default=os.path.join(ROOT, "..", "shared", "tools", "gen_logs.py"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "vpcflow.log")
        subprocess.run([sys.executable, a.gen, "vpcflow", str(a.lines), data], check=True)
        plain = [a.bin, "parse", "--dataset", "aws.vpcflow", data]
        dbs = [x for f in ("GeoLite2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb")
               for x in ("--geoip-database", os.path.join(a.geoip, f))]
        enriched = plain[:3] + ["aws.vpcflow"] + dbs + [data]
        results = {"without": [], "with": []}
        run(plain)  # warm the page cache
        for _ in range(a.rounds):
            results["without"].append(run(plain))
            results["with"].append(run(enriched))
        env = dict(os.environ, LOGLIFT_LOG="debug")
        log = subprocess.run(enriched, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env=env, check=True).stderr
    print(f"loglift parse, {a.lines:,} gen_logs.py vpcflow lines, output to /dev/null, "
          f"{a.rounds} alternating rounds, medians")
    med = {}
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        med[name] = (cpu, wall)
        print(f"  {name:<8} GeoIP: CPU {cpu:6.3f} s  wall {wall:6.3f} s  {a.lines / wall:>10,.0f} lines/s")
    print(f"  ratio (with / without): CPU {med['with'][0] / med['without'][0]:.3f}x  "
          f"wall {med['with'][1] / med['without'][1]:.3f}x")
    counts = {k: int(v) for k, v in re.findall(r"(database_hits|database_misses|private|cache_hits)=(\d+)", log)}
    if counts:
        public = counts["cache_hits"] + (counts["database_hits"] + counts["database_misses"]) // 2
        rate = counts["cache_hits"] / public if public else 0.0
        print(f"  lookups (one enriched run): {counts}; cache hit rate {rate:.1%} of public-address lookups")

if __name__ == "__main__":
    main()
