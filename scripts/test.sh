#!/usr/bin/env bash
# The project's test command: formatting, lints, unit, property and
# integration tests (end-to-end ones start their own emulators).
# Usage: scripts/test.sh            (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "emulators (project-local venv)"
scripts/setup-emulators.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --profile ci -- -D warnings

step "build the binary and the tests"
# One build for both: the binary built with the tests has the same features
# as the one the end-to-end tests run, so nothing is compiled twice.
cargo test --workspace --profile ci --no-run

step "packaging: Debian package contents, systemd unit, Grafana dashboard"
scripts/test-packaging.sh

step "demo (scripts/demo.sh on a local moto server)"
LOGLIFT="${CARGO_TARGET_DIR:-target}/ci/loglift" scripts/demo.sh

step "cargo test (unit, property, integration, end-to-end)"
export LOGLIFT_EMULATOR_VENV="${LOGLIFT_EMULATOR_VENV:-$PWD/.venv-emulators}"
export LOGLIFT_MINISTACK_VENV="${LOGLIFT_MINISTACK_VENV:-$PWD/.venv-ministack}"
# Property tests: a bounded run (the long runs are `cargo fuzz`, see parsers/fuzz).
export PROPTEST_CASES="${PROPTEST_CASES:-2000}"
cargo test --workspace --profile ci

step "conformance against Elastic's pipeline fixtures"
tests/conformance/check.sh "${CARGO_TARGET_DIR:-target}/ci/loglift" 95
