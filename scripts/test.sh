#!/usr/bin/env bash
# `deno task test`: sets up what the tests need, then runs every test.
#
#   1. Chromium for the dashboard's browser tests (scripts/setup_chromium.sh: installs Debian's, or stops naming the
#      command), and the local Kafka broker (scripts/kafka/broker.sh start: fetches Kafka the first time);
#   2. the unit tests beside the code and the examples in their docs, with the permissions of `deno task test:unit`
#      (no broker needed);
#   3. everything else with every permission: the integration tests in tests/ on the broker, and the code blocks of
#      mod.ts, README.md and docs/*.md.
#
# Both runs always run; each prints Deno's summary line; the exit status is 0 only when both passed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
deno=("$root/deno")

bash scripts/setup_chromium.sh || exit 1
bash scripts/kafka/broker.sh start || exit 1

status=0
echo "== unit tests (src/, deno task test:unit)"
"${deno[@]}" task test:unit || status=1
echo "== integration tests (tests/) and documentation code blocks"
"${deno[@]}" test --allow-all --doc --ignore=src/ || status=1
exit "$status"
