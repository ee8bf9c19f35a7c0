/**
 * Whether process `pid` exists, as `kill(pid, 0)` tells: one of another account's answers EPERM and
 * still exists. What stale-resource sweeps ask of the pid a name carries (a crashed host's FIFOs, a
 * dead listener's bell). Not an Apple API.
 */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
