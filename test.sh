#!/usr/bin/env bash
# Runs every test: unit tests, and the end-to-end tests on an embedded KRaft broker and MongoDB-wire server.
# Tests that need Docker (Testcontainers) are reported as skipped where no Docker engine runs.
set -euo pipefail
cd "$(dirname "$0")"
. bin/java-home.sh
./mvnw -B -ntp test "$@"
