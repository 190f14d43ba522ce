#!/usr/bin/env bash
# The CI entry point: everything CI checks is `cargo xtask ci` (see xtask/src/ci.rs).
# Usage: ci/run.sh [--keep-going] [STEP...]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_INCREMENTAL=0
export RUST_BACKTRACE=1
export CARGO_NET_RETRY=10

cargo --version
exec cargo xtask ci "$@"
