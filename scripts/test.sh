#!/usr/bin/env bash
# Set up (install + build) and run every test with Node's test runner.
# Tests start real driver and worker processes on loopback; they run one file at a time
# (this is a 2-core machine) with a per-test timeout so nothing can hang CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# The TLS test makes a certificate with openssl.
if ! command -v openssl >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null) || echo "warning: could not install openssl" >&2
fi
# The Kafka exactly-once test runs Debian's PostgreSQL server (packages/test-servers/src/postgres-server.ts), and so do the @sluice/postgres tests.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || echo "warning: could not install postgresql" >&2
fi
# The console progress bar test runs `sluice` on a pseudo-terminal with util-linux `script` (package bsdutils).
if ! command -v script >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bsdutils >/dev/null) || echo "warning: could not install bsdutils (script)" >&2
fi
# The Streaming UI browser tests drive Debian's Chromium (headless) with playwright-core
# (packages/cli/test/streaming-ui-browser.test.ts, dashboard-browser.test.ts); playwright downloads no browser of its own.
if [ ! -x /usr/bin/chromium ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium" >&2
fi
# The MQTT tests run Debian's mosquitto broker (packages/mqtt/test/support/mosquitto.ts); the binary is in /usr/sbin.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null) || echo "warning: could not install mosquitto" >&2
fi
# The @sluice/redis tests run Debian's redis-server (packages/test-servers/src/redis-server.ts).
if ! command -v redis-server >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) || echo "warning: could not install redis-server" >&2
fi
# The multi-host test runs driver and workers in network namespaces with iproute2's `ip` (packages/cli/test/multi-host-netns.test.ts).
if ! command -v ip >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null) || echo "warning: could not install iproute2 (ip)" >&2
fi
bash scripts/setup.sh
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
node --test --test-concurrency=1 --test-timeout=240000 "$@" "${files[@]}"
