#!/usr/bin/env bash
# The demo: loglift end to end on this machine, with nothing but Rust and
# python3 installed beforehand.
#
#  1. installs moto (a local AWS-compatible server) into .venv-emulators/ if
#     it is missing (scripts/setup-emulators.sh --moto-only; needs network
#     access to PyPI once);
#  2. builds loglift (cargo build --profile ci: optimized, the test
#     command's profile; the first build takes a few minutes);
#  3. starts moto on a free loopback port, creates a bucket whose
#     ObjectCreated events go to an SQS queue (with a dead-letter queue), and
#     uploads every sample of tests/fixtures/, gzip'd, under keys that route
#     to its dataset (AWSLogs/<account>/CloudTrail/..., .../vpcflowlogs/...,
#     and cloudwatch/, ec2/ prefixes routed by a `selector:` in their module
#     files);
#  4. runs `loglift check`, then `loglift run` against it, showing progress;
#  5. prints the events per dataset (checked against `loglift parse` of the
#     same files), the metrics URL and a few lines of /metrics.
# Everything it started is stopped on exit, and its files removed.
#
# Usage: scripts/demo.sh            the demo above
#        scripts/demo.sh --keep     the same, then keeps the agent and moto
#                                   running (browse /metrics, /status) until Ctrl-C
#        scripts/demo.sh --offline  parse every sample with `loglift parse`
#                                   only (no server): events per dataset and an
#                                   example event
# LOGLIFT=path/to/loglift uses an already built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
case "$mode" in
    run | --keep | --offline) ;;
    *) echo "usage: scripts/demo.sh [--keep|--offline]" >&2; exit 2 ;;
esac

say() { printf '\n==> %s\n' "$*" >&2; }

if [[ -n "${LOGLIFT:-}" ]]; then
    loglift="$LOGLIFT"
else
    say "building loglift (cargo build --profile ci; the first build takes a few minutes)"
    cargo build --profile ci --bin loglift
    loglift="${CARGO_TARGET_DIR:-target}/ci/loglift"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# --offline: every sample through `loglift parse`, no server.
if [[ "$mode" == "--offline" ]]; then
    for dir in tests/fixtures/*/; do
        dataset="$(basename "$dir")"
        [[ "$dataset" == geoip ]] && continue  # the GeoIP test databases
        for file in "$dir"*; do
            [[ -f "$file" ]] || continue
            "$loglift" parse --dataset "$dataset" "$file" >>"$work/$dataset.ndjson"
            printf '  %-26s %s\n' "$dataset" "$(basename "$file")" >&2
        done
    done
    python3 - "$work" <<'EOF'
import json, os, sys
out = sys.argv[1]
print(f"\n{'dataset':<26} {'events':>7} {'parse errors':>13}")
total, example = 0, None
for name in sorted(os.listdir(out)):
    events = [json.loads(l) for l in open(os.path.join(out, name)) if l.strip()]
    errors = sum(1 for e in events if e.get("event", {}).get("kind") == "pipeline_error")
    total += len(events)
    print(f"{name.removesuffix('.ndjson'):<26} {len(events):>7} {errors:>13}")
    if name.startswith("aws.vpcflow") and events:
        example = events[0]
print(f"{'total':<26} {total:>7}")
if example:
    print("\nAn example event (aws.vpcflow):")
    print(json.dumps(example, indent=2, sort_keys=True))
EOF
    exit 0
fi

# ---------------------------------------------------------------------------
# 1. moto
venv="${LOGLIFT_EMULATOR_VENV:-$PWD/.venv-emulators}"
if [[ ! -x "$venv/bin/moto_server" ]]; then
    say "installing moto into $venv (once)"
    scripts/setup-emulators.sh --moto-only "$venv"
fi
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() { # port what
    python3 - "$1" "$2" <<'EOF'
import socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"nothing listens on port {sys.argv[1]} ({sys.argv[2]})")
EOF
}
moto_port="$(free_port)"
endpoint="http://127.0.0.1:$moto_port"
say "starting moto on $endpoint"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=("$!")
wait_port "$moto_port" moto

# ---------------------------------------------------------------------------
# 2. bucket -> SQS notifications, and the samples
say "creating bucket demo-logs with S3 -> SQS notifications, uploading the samples"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1
"$venv/bin/python" - "$endpoint" "$work" <<'EOF'
import gzip, json, os, sys
import boto3

endpoint, work = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint)
sqs = boto3.client("sqs", endpoint_url=endpoint)
dlq = sqs.create_queue(QueueName="demo-logs-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
queue = sqs.create_queue(
    QueueName="demo-logs",
    Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
)["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
s3.create_bucket(Bucket="demo-logs")
s3.put_bucket_notification_configuration(
    Bucket="demo-logs",
    NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
)
# The s3:TestEvent the notification setup sends (the agent would ignore it).
while True:
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    if not got:
        break
    for m in got:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])

day = "us-east-1/2024/03/12"
def key(dataset, name, n):
    base = os.path.splitext(name)[0]
    if dataset == "aws.cloudtrail":
        kind = "CloudTrail-Digest" if "Digest" in name else "CloudTrail"
        return f"AWSLogs/123456789012/{kind}/{day}/{base}.json.gz"
    if dataset == "aws.elb_logs":
        return f"AWSLogs/123456789012/elasticloadbalancing/{day}/{base}.log.gz"
    if dataset == "aws.vpcflow":
        return f"AWSLogs/123456789012/vpcflowlogs/{day}/{base}.log.gz"
    if dataset == "aws.s3access":  # the name AWS gives: a date and 16 hex digits
        return f"s3-access/2024-03-12-09-00-{n:02d}-5E5FDEADBEEF{n:04X}"
    if dataset == "aws.cloudwatch_logs":  # routed by the module file's selector
        return f"cloudwatch/{base}.gz"
    if dataset == "aws.ec2_logs":  # routed by the module file's selector
        return f"ec2/{base}.gz"
    if dataset == "aws.waf":
        return f"AWSLogs/123456789012/WAFLogs/us-east-1/shop-acl/2024/03/12/09/00/{base}.log.gz"
    if dataset == "aws.route53_resolver_logs":
        return f"AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b2c3d4e5f60718/2024/03/12/{base}.log.gz"
    if dataset == "aws.firewall_logs":
        return f"AWSLogs/123456789012/network-firewall/alert/2024/03/12/09/{base}.log.gz"
    if dataset == "aws.guardduty":
        return f"AWSLogs/123456789012/GuardDuty/{day}/{base}.jsonl.gz"
    if dataset == "aws.cloudfront_logs":  # <distribution-id>.YYYY-MM-DD-HH.<id>.gz
        return f"cdn/{name}.gz"
    if dataset == "iru.audit":  # routed by the module file's selector
        return f"iru/audit/{base}.json.gz"
    if dataset == "wallarm.hits":
        ext = os.path.splitext(name)[1].lstrip(".")
        ext = "json" if ext == "jsonl" else ext  # wallarm_hits_*.json is the exported name
        return f"wallarm/{base}.{ext}.gz"
    raise SystemExit(f"no key for dataset {dataset}")

n = 0
with open(os.path.join(work, "uploads.tsv"), "w") as uploads:
    for dataset in sorted(os.listdir("tests/fixtures")):
        if dataset == "geoip":  # the GeoIP test databases, not logs
            continue
        for name in sorted(os.listdir(os.path.join("tests/fixtures", dataset))):
            path = os.path.join("tests/fixtures", dataset, name)
            k = key(dataset, name, n)
            s3.put_object(Bucket="demo-logs", Key=k, Body=gzip.compress(open(path, "rb").read()))
            uploads.write(f"{dataset}\t{path}\t{k}\n")
            print(f"  s3://demo-logs/{k}", file=sys.stderr)
            n += 1
with open(os.path.join(work, "queue_url"), "w") as f:
    f.write(queue)
print(f"  {n} objects uploaded, {n} notifications queued", file=sys.stderr)
EOF
queue_url="$(cat "$work/queue_url")"
uploads="$(wc -l <"$work/uploads.tsv")"

# ---------------------------------------------------------------------------
# 3. the configuration: the repository's module files, plus selectors for the
# two datasets whose keys have no standard shape.
mkdir -p "$work/config"
cp -r config/modules.d "$work/config/"
echo "selector: '^cloudwatch/'" >>"$work/config/modules.d/aws.cloudwatch_logs.yml"
echo "selector: '^ec2/'" >>"$work/config/modules.d/aws.ec2_logs.yml"
mv "$work/config/modules.d/iru.audit.yml.disabled" "$work/config/modules.d/iru.audit.yml"
echo "selector: '^iru/audit/'" >>"$work/config/modules.d/iru.audit.yml"
http_port="$(free_port)"
cat >"$work/config/loglift.yml" <<EOF
aws:
  region: us-east-1
  endpoint: $endpoint
  force_path_style: true
  access_key_id: \${AWS_ACCESS_KEY_ID}
  secret_access_key: \${AWS_SECRET_ACCESS_KEY}
inputs:
  - type: sqs
    queue_url: $queue_url
    wait_time: 1s
outputs:
  - type: file
    path: $work/events.ndjson
geoip:  # MaxMind's test databases: a few documented addresses get geo and AS fields
  databases:
    - $PWD/tests/fixtures/geoip/GeoLite2-City-Test.mmdb
    - $PWD/tests/fixtures/geoip/GeoLite2-ASN-Test.mmdb
http:
  listen: 127.0.0.1:$http_port
EOF

say "loglift check --config $work/config/loglift.yml"
"$loglift" check --config "$work/config/loglift.yml" || {
    echo "loglift check failed (see above)" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# 4. the agent
say "loglift run (log: $work/agent.log)"
LOGLIFT_LOG=info "$loglift" run --config "$work/config/loglift.yml" 2>"$work/agent.log" &
agent="$!"
pids+=("$agent")
wait_port "$http_port" "loglift's HTTP server"
python3 - "$http_port" "$uploads" "$agent" <<'EOF'
import json, os, sys, time, urllib.request
port, total, agent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + 120
while True:
    status = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/status"))
    i = status["inputs"][0]
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    deleted = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("loglift_sqs_messages_deleted_total"))
    print(f"\r  messages done {int(deleted):>3}/{total}   objects read {i['objects_read']:>3}   "
          f"events {i['events']:>6}   in flight {i['in_flight_objects']}", end="", file=sys.stderr, flush=True)
    if deleted >= total:
        print(file=sys.stderr)
        break
    try:
        os.kill(agent, 0)
    except OSError:
        sys.exit("\nthe agent stopped; see its log")
    if time.time() > deadline:
        sys.exit(f"\nnot done after 120 s; last error: {i['last_error']}")
    time.sleep(0.5)
EOF

# ---------------------------------------------------------------------------
# 5. the summary
say "summary"
python3 - "$work" "$loglift" "$http_port" <<'EOF'
import collections, json, subprocess, sys, urllib.request
work, loglift, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
got = collections.Counter()
errors = collections.Counter()
for line in open(f"{work}/events.ndjson"):
    e = json.loads(line)
    got[e["event"]["dataset"]] += 1
    errors[e["event"]["dataset"]] += e["event"].get("kind") == "pipeline_error"
# The same files through `loglift parse`, for comparison (digest files hold no events).
expected = collections.Counter()
objects = collections.Counter()
for line in open(f"{work}/uploads.tsv"):
    dataset, path, key = line.rstrip("\n").split("\t")
    objects[dataset] += 1
    if "CloudTrail-Digest" in key:
        continue
    out = subprocess.run([loglift, "parse", "--dataset", dataset, path], capture_output=True, check=True)
    expected[dataset] += out.stdout.count(b"\n")
print(f"{'dataset':<26} {'objects':>7} {'events':>7} {'parse errors':>13} {'loglift parse':>14}")
ok = True
for d in sorted(set(got) | set(expected)):
    same = "same" if got[d] == expected[d] else "DIFFERENT"
    ok &= got[d] == expected[d]
    print(f"{d:<26} {objects[d]:>7} {got[d]:>7} {errors[d]:>13} {expected[d]:>9} ({same})")
print(f"{'total':<26} {sum(objects.values()):>7} {sum(got.values()):>7}")
print(f"\nevents: {work}/events.ndjson, one JSON event per line (removed on exit; --keep keeps it)")
print(f"metrics: http://127.0.0.1:{port}/metrics   health: http://127.0.0.1:{port}/healthz   status: http://127.0.0.1:{port}/status")
metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode().splitlines()
print("\na few lines of /metrics:")
for l in metrics:
    if l.startswith(("loglift_events_total{dataset=\"aws.vpcflow\"", "loglift_sqs_messages_deleted_total", "loglift_s3_objects_total{dataset=\"none\"")):
        print("  " + l)
health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read().decode().strip()
print(f"\n/healthz: {health}")
if not ok:
    sys.exit("the agent's events differ from `loglift parse` of the same files")
EOF

if [[ "$mode" == "--keep" ]]; then
    say "the agent and moto keep running; Ctrl-C stops them and removes $work"
    wait "$agent"
fi
