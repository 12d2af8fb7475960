#!/usr/bin/env bash
# Runs every test: unit tests, the end-to-end tests on an embedded KRaft broker and MongoDB-wire server, and the
# web console's tests in a real headless Chromium (Debian's chromium and chromium-driver, installed here when
# missing and this runs as root). Tests that need Docker (Testcontainers) are reported as skipped where no Docker
# engine runs.
set -euo pipefail
cd "$(dirname "$0")"
. bin/java-home.sh
if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "Installing Chromium for the console's browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null
  else
    echo "The console's browser tests need Chromium: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
./mvnw -B -ntp test "$@"
