#!/usr/bin/env bash
# The bench command: named scenarios against a running platform (start it with ./run-local.sh first), one table.
# Usage: bench/run.sh [scenario ...]  (warmup echo async sync-1 url-1 sync-hops sync-open sync-64 cold cpu mixed; default all)
# Options in S3C_BENCH_OPTS: -Dseconds=20 (each load), -Dwarmup=60 and -DwarmupMax=300 (see Bench.java),
# -Dmarkdown=FILE (the table as Markdown).
# Other URLs: GATEWAY_URL, GATEWAY_ACTUATOR_URL, EXECUTOR_URL, MONITOR_URL (default localhost:8080, 8084, 8081, 8082).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/java-home.sh
HDR="$HOME/.m2/repository/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar"
if [ ! -f "$HDR" ]; then
  ./mvnw -q -B dependency:get -Dartifact=org.hdrhistogram:HdrHistogram:2.2.2
fi
exec "$JAVA_HOME/bin/java" -cp "$HDR" ${S3C_BENCH_OPTS:-} bench/Bench.java "$@"
