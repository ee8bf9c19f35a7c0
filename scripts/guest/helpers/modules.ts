// Inside the guest: loading kernel modules and mounting configfs, once per boot.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** True when running inside the guest tier's QEMU guest (scripts/guest/run.mjs sets it). */
export function inGuest(): boolean {
  return process.env.DRIVERKIT_GUEST === '1';
}

/** Loads kernel modules (from the host's /lib/modules, shared over 9p); already-loaded ones are fine. */
export function loadModules(...names: string[]): void {
  for (const n of names) execFileSync('modprobe', [n], { stdio: 'inherit' });
}

/** Mounts configfs at /sys/kernel/config (where USB gadgets are made) unless it is mounted. */
export function mountConfigfs(): void {
  if (readFileSync('/proc/mounts', 'utf8').includes(' /sys/kernel/config configfs ')) return;
  execFileSync('mount', ['-t', 'configfs', 'none', '/sys/kernel/config']);
}

/** Waits (polling) until `path` exists, failing after `ms` with what it waited for. */
export async function waitForPath(path: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
