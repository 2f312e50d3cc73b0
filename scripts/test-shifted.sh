#!/usr/bin/env bash
# The whole test suite with the clock moved: jest and every process it starts (haetae, logger)
# run under Debian's libfaketime, so "now" is SHIFT away from the real time; Kafka, Elasticsearch
# and Redis keep the real clock, as servers run by someone else would.
#
#   npm run test:shifted                       # 40 days ahead (from December this crosses a New Year)
#   npm run test:shifted -- +400d              # any faketime offset: -3d, +2y, ...
#   npm run test:shifted -- '@2027-12-31 23:57:00'   # start just before a New Year; the run crosses it
#   npm run test:shifted -- +40d --selectProjects unit   # further arguments go to jest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

shift_spec=${1:-+40d}
[[ $# -gt 0 ]] && shift

lib=
for candidate in /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
  [[ -f $candidate ]] && { lib=$candidate; break; }
done
if [[ -z $lib ]]; then
  printf 'test:shifted needs libfaketime: apt-get install faketime\n' >&2
  exit 1
fi

npm run --silent build
# The servers start with the real clock before the shift applies (jest's global setup would
# otherwise start them under it).
npm run --silent stack -- up

printf 'test:shifted: clock %s (real %s)\n' "$shift_spec" "$(date -u +%FT%TZ)"
# Monotonic clocks stay real: timers and timeouts measure real durations.
export LD_PRELOAD=$lib FAKETIME="$shift_spec" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_NO_CACHE=1
node -e 'console.log(`test:shifted: node sees ${new Date().toISOString()}`)'
# --experimental-vm-modules: jest loads ES-module-only packages (@platformatic/kafka) with require().
exec node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
