#!/usr/bin/env bash
# Sustained-load benchmark against a running platform (start it with ./run-local.sh first): what users can read.
# Usage: bench/soak.sh [minutes] [callers] [windowSeconds]; S3C_BENCH_OPTS=-Drate=N for a fixed rate (open loop),
# -Dslow=MS to print each read that took that long (kind, when it began).
# Other URLs: GATEWAY_URL, EXECUTOR_URL, MONITOR_URL (default localhost:8080, 8081, 8082).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-home.sh
exec "$JAVA_HOME/bin/java" ${S3C_BENCH_OPTS:-} bench/SoakBench.java "${GATEWAY_URL:-http://localhost:8080}" \
  "${EXECUTOR_URL:-http://localhost:8081}" "${MONITOR_URL:-http://localhost:8082}" "${1:-11}" "${2:-64}" "${3:-30}"
