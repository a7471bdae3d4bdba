#!/usr/bin/env bash
# Installs the AWS-compatible servers the end-to-end tests run against into a
# project-local virtualenv (idempotent): moto (S3, SQS, SNS, STS, IAM).
# Usage: scripts/setup-emulators.sh [VENV_DIR]   (default .venv-emulators)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-${LOGLIFT_EMULATOR_VENV:-$PWD/.venv-emulators}}"
stamp="$venv/.loglift-emulators-1"
if [[ -f "$stamp" ]]; then
    echo "emulators ready in $venv"
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5' boto3
touch "$stamp"
echo "emulators installed in $venv"
