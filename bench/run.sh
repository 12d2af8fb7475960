#!/usr/bin/env bash
# Benchmark against a running platform (start it with ./run-local.sh first).
# Usage: bench/run.sh [gatewayUrl] [executorUrl] [asyncCount] [concurrency] [syncCount]
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-home.sh
exec "$JAVA_HOME/bin/java" bench/Bench.java "$@"
