#!/usr/bin/env bash
# Installs the AWS-compatible servers the end-to-end tests run against
# (idempotent):
# - moto (S3, SQS, SNS, STS, IAM) into a project-local virtualenv;
# - ministack (CloudWatch over the Smithy RPC v2 CBOR protocol that the Rust
#   SDK speaks and moto lacks, plus EC2, SQS, STS and the tagging API) into a
#   virtualenv of its own, since it pins its own botocore;
# - s3s-fs, a second S3 implementation (MinIO-style, real SigV4 checks),
#   built with cargo into a tools directory outside the repository, so that
#   fresh clones reuse it.
# - promtool (Debian's `prometheus` package), for `promtool check metrics` in
#   the HTTP test, when it is missing and apt-get can install it; without it
#   the test checks /metrics with the Rust parser only, and says so.
# Usage: scripts/setup-emulators.sh [--moto-only] [VENV_DIR]   (default .venv-emulators)
# --moto-only installs moto only (what scripts/demo.sh needs).
# LOGLIFT_MINISTACK_VENV sets ministack's virtualenv (default .venv-ministack).
# LOGLIFT_TOOLS sets the tools directory (default ~/.cache/loglift/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
moto_only=0
if [[ "${1:-}" == "--moto-only" ]]; then
    moto_only=1
    shift
fi
venv="${1:-${LOGLIFT_EMULATOR_VENV:-$PWD/.venv-emulators}}"
tools="${LOGLIFT_TOOLS:-$HOME/.cache/loglift/tools}"

stamp="$venv/.loglift-emulators-1"
if [[ -f "$stamp" ]]; then
    echo "moto ready in $venv"
else
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5' boto3
    touch "$stamp"
    echo "moto installed in $venv"
fi

if [[ $moto_only -eq 1 ]]; then
    exit 0
fi

if command -v promtool >/dev/null; then
    echo "promtool ready ($(command -v promtool))"
elif command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
    echo "installing promtool (Debian package prometheus)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1; }; }; then
        echo "promtool could not be installed: the /metrics test will use the Rust parser only"
    fi
else
    echo "promtool is not installed (needs apt-get as root): the /metrics test will use the Rust parser only"
fi

ministack_venv="${LOGLIFT_MINISTACK_VENV:-$PWD/.venv-ministack}"
ministack_stamp="$ministack_venv/.loglift-ministack-1"
if [[ -f "$ministack_stamp" ]]; then
    echo "ministack ready in $ministack_venv"
else
    python3 -m venv "$ministack_venv"
    "$ministack_venv/bin/pip" install --quiet --disable-pip-version-check 'ministack==1.5.33' 'cbor2==6.3.0'
    touch "$ministack_stamp"
    echo "ministack installed in $ministack_venv"
fi

if [[ -x "$tools/bin/s3s-fs" ]]; then
    echo "s3s-fs ready in $tools"
else
    echo "building s3s-fs into $tools (a few minutes, once)"
    # Its own target directory: the project's CARGO_TARGET_DIR stays untouched.
    CARGO_TARGET_DIR="$tools/build" cargo install --quiet --locked \
        s3s-fs --version 0.14.1 --features binary --root "$tools"
    rm -rf "$tools/build"
fi
