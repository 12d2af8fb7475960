#!/usr/bin/env bash
# Starts the whole platform on this machine, no Docker: a KRaft broker, a MongoDB-wire server keeping its data
# in ./data, and the gateway, executor, monitor and scaler. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
. bin/java-home.sh

if [ "${SKIP_BUILD:-}" != "1" ]; then
  echo "Building (first time: a few minutes to download dependencies)..."
  ./mvnw -q -B install -DskipTests
fi

JAR=local-cluster/target/local-cluster-0.1.0-SNAPSHOT-exec.jar
JVMCI=local-cluster/target/jvmci
mkdir -p logs
# GraalJS with the Graal JIT: without these flags functions run interpreter-only (10-50x slower on hot code).
# A fixed, pre-touched heap: the process takes its memory at start and does not grow under load. 3 GB rather than
# 2: the young generation gets room beside the store's indexes, so G1 pauses half as often under load and the
# reads' p99 at 800 executions a second fell from 37-81 to 20-44 ms (see the README's Sustained load).
# What outlives one young collection (the store's indexes, caches) is promoted at the next instead of copied at
# each of up to fifteen: G1's young pauses under load halved at three, and at one they are 11-14% shorter again
# (49-51 against 57-58 ms in the soak), so fewer reads wait out a long one; the old generation fills a little
# faster, so marking cycles come sooner (see the README's Sustained load). S3C_JAVA_OPTS may override it.
# 8 MB regions: the store's chunk buffers (1-4 MB) and the Kafka clients' larger fetches are ordinary objects
# instead of "humongous" ones, each of which started a G1 marking cycle (one every 8 s under load).
# Native memory the JVM frees (the JITs' compiler arenas, other freed native allocations) is handed back to the system
# every 5 s instead of kept by glibc's allocator: without it RSS grew for the first minutes of a load while the JVM's
# own count of its native memory did not.
# The heap on transparent huge pages where the kernel offers them (madvise or always): pre-touching 3 GB took 7-10 s
# of the start in 4 KB pages on the development machine and 3 s in 2 MB ones, and under load echo, async and sync
# calls were faster and G1's young pauses shorter (fewer TLB misses; see the README's twenty-third round). Where
# they are off, the flag is left out: the JVM would print a warning.
# Code-cache collections only when the JITs have written half the code cache (about 120 MB) since the last
# unloading, instead of 15% of it, less as it fills (23-28 MB here): while the JITs warm up, the default started a
# marking cycle every half to two minutes, each with a remark pause of 32-115 ms (most of it unloading the code and
# classes of the whole platform), which every call then in flight waited out. Code is still unloaded by the marking cycles G1
# runs anyway, and when the code cache is 90% full (see the README's twenty-ninth round).
THP=""
if grep -qE '\[(madvise|always)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  THP="-XX:+UseTransparentHugePages"
fi
exec "$JAVA_HOME/bin/java" \
  -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path="$JVMCI" \
  --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -XX:MaxTenuringThreshold=1 -XX:G1HeapRegionSize=8m -XX:TrimNativeHeapInterval=5000 -XX:SweeperThreshold=50 $THP \
  ${S3C_JAVA_OPTS:--Xms3g -Xmx3g -XX:+AlwaysPreTouch} \
  -jar "$JAR" "$@"
