#!/usr/bin/env bash
# CI's run of the guest tier: one batched boot running every *.guest.test.ts. A guest that cannot boot
# here (no QEMU, no kernel) is reported and skipped; failing tests or a hung guest (killed at the
# timeout) fail the run.
set -uo pipefail
cd "$(dirname "$0")/../.."
npm run test:guest
status=$?
case $status in
  0) echo "guest tier: passed" ;;
  125) echo "guest tier: SKIPPED: the guest cannot boot on this machine (see above)"; exit 0 ;;
  124) echo "guest tier: FAILED: the guest hung and was killed at the timeout" ;;
  *) echo "guest tier: FAILED (status $status)" ;;
esac
exit $status
