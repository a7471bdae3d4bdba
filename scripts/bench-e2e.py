#!/usr/bin/env python3
"""End-to-end throughput and memory of `loglift run` on a local moto server.

Uploads gzip'd objects of one dataset to a bucket whose notifications go to an
SQS queue, runs the agent (sqs input, file output) until the output holds
every event, and prints events/s, MB/s of uncompressed input and the agent's
peak RSS (VmHWM). The queue must end empty.

  PY=.venv-emulators/bin/python
  $PY scripts/bench-e2e.py BIN --dataset vpcflow --objects 20 --lines 50000
  $PY scripts/bench-e2e.py BIN --dataset cloudtrail --objects 20 --lines 20000
  $PY scripts/bench-e2e.py BIN --dataset vpcflow --objects 1 --mb 1024   # one 1 GB object
  $PY scripts/bench-e2e.py BIN --objects 1 --mb 1024 --geoip tests/fixtures/geoip/GeoLite2-{City,ASN}-Test.mmdb

Run it with the Python of the emulator venv that scripts/setup-emulators.sh
makes (it has boto3; `--venv` names it for moto_server, default
.venv-emulators); the lines come from ../shared/tools/gen_logs.py (`--gen`).
"""
import argparse
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIG = """aws:
  region: us-east-1
  endpoint: {endpoint}
  force_path_style: true
  access_key_id: testing
  secret_access_key: testing
inputs:
  - type: sqs
    queue_url: {queue_url}
    workers: {workers}
    wait_time: 1s
outputs:
  - type: file
    path: {out}
http:
  listen: 127.0.0.1:{http_port}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def vpcflow_body(gen, rng, first, lines):
    return "".join(gen.vpcflow(rng, first + i) + "\n" for i in range(lines))


def cloudtrail_body(gen, rng, first, lines):
    records = ",".join(json.dumps(gen.cloudtrail_record(rng, first + i)) for i in range(lines))
    return '{"Records":[' + records + "]}\n"


DATASETS = {
    "vpcflow": (
        vpcflow_body,
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/"
        "123456789012_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_{n}.log.gz",
    ),
    "cloudtrail": (
        cloudtrail_body,
        "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/04/02/"
        "123456789012_CloudTrail_eu-west-1_20240402T0900Z_{n}.json.gz",
    ),
}


def gzip_repeated(block, total):
    """gzip of `block` repeated until `total` bytes, streamed (one member)."""
    out = bytearray()
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    written = 0
    while written < total:
        out += z.compress(block)
        written += len(block)
    out += z.flush()
    return bytes(out), written


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin", help="the loglift binary")
    ap.add_argument("--dataset", choices=sorted(DATASETS), default="vpcflow")
    ap.add_argument("--objects", type=int, default=20)
    ap.add_argument("--lines", type=int, default=50000, help="records per object")
    ap.add_argument("--mb", type=int, default=0, help="instead: objects of this many MB (uncompressed), vpcflow only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=600, help="seconds")
    ap.add_argument("--geoip", nargs="*", default=[], metavar="MMDB",
                    help="GeoIP databases to enrich with (geoip.databases), e.g. tests/fixtures/geoip/GeoLite2-{City,ASN}-Test.mmdb")
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv-emulators"))
    ap.add_argument("--gen", default=os.path.join(ROOT, "..", "shared", "tools"))
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.gen))
    import boto3
    import gen_logs

    work = tempfile.mkdtemp(prefix="loglift-bench-")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([f"{a.venv}/bin/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    agent = None
    complete = False
    try:
        kw = dict(endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        for _ in range(100):
            try:
                boto3.client("s3", **kw).list_buckets()
                break
            except Exception:
                time.sleep(0.1)
        s3, sqs = boto3.client("s3", **kw), boto3.client("sqs", **kw)
        queue = sqs.create_queue(QueueName="bench")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.create_bucket(Bucket="bench")
        s3.put_bucket_notification_configuration(Bucket="bench", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        body_of, key = DATASETS[a.dataset]
        rng = random.Random(7)
        raw = want = 0
        for n in range(a.objects):
            if a.mb:
                if a.dataset != "vpcflow":
                    sys.exit("--mb works with --dataset vpcflow")
                block = vpcflow_body(gen_logs, rng, 0, 100_000).encode()
                data, size = gzip_repeated(block, a.mb << 20)
                lines = block.count(b"\n") * (size // len(block))
            else:
                body = body_of(gen_logs, rng, n * a.lines, a.lines).encode()
                data, size, lines = gzip.compress(body), len(body), a.lines
            raw += size
            want += lines
            s3.put_object(Bucket="bench", Key=key.format(n=n), Body=data)
        print(f"uploaded {a.objects} {a.dataset} objects: {want:,} events, {raw / 1e6:,.0f} MB uncompressed", flush=True)

        out = f"{work}/out.ndjson"
        cfg = f"{work}/loglift.yml"
        with open(cfg, "w") as f:
            f.write(CONFIG.format(endpoint=endpoint, queue_url=queue, out=out, workers=a.workers, http_port=free_port()))
            if a.geoip:
                f.write("geoip:\n  databases:\n" + "".join(f"    - {os.path.abspath(db)}\n" for db in a.geoip))
        t0 = time.time()
        agent = subprocess.Popen([a.bin, "run", "--config", cfg],
                                 stdout=open(f"{work}/agent.log", "w"), stderr=subprocess.STDOUT)
        n = pos = 0
        rss = None
        while time.time() - t0 < a.limit:
            time.sleep(0.2)
            rss = peak_rss_kib(agent.pid) or rss
            if os.path.exists(out):
                with open(out, "rb") as f:
                    f.seek(pos)
                    for buf in iter(lambda: f.read(1 << 20), b""):
                        n += buf.count(b"\n")
                        pos += len(buf)
            if n >= want or agent.poll() is not None:
                break
        dt = time.time() - t0
        rss = peak_rss_kib(agent.pid) or rss
        time.sleep(1.5)
        left = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages",
                                                                      "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        print(f"loglift {a.dataset}: {n:,}/{want:,} events in {dt:.1f}s = {n / dt:,.0f} events/s, "
              f"{raw / dt / 1e6:.1f} MB/s uncompressed, peak RSS {rss / 1024 if rss else float('nan'):.1f} MiB "
              f"(workers={a.workers}); queue left: {left}")
        if n != want:
            sys.exit(f"incomplete: see {work}/agent.log")
        complete = True
    finally:
        for p in (agent, moto):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        # The output holds about 1 KB per event (9 GB for a 1 GB object):
        # kept only when the run did not deliver everything, for its log.
        if complete:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
