// `npm run bench` in this package: BAR access (here), then interrupt latency on the real edu in the
// guest tier (skipped, saying so, where no guest can boot).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;
const { figure } = createRequire(import.meta.url)('../../../scripts/bench/figures.cjs');
const host = spawnSync(tsx, [`${here}pci.bench.ts`], { stdio: 'inherit' });
// The guest's output is read here as well as shown: its `figure:` line joins the run's table.
const guest = spawnSync(process.execPath, [`${root}scripts/guest/run.mjs`, '--timeout', '600', '--', process.execPath, `${here}interrupts.guest-bench.mjs`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
process.stdout.write(guest.stdout ?? '');
for (const line of (guest.stdout ?? '').split('\n')) {
  const m = /^figure: (\{.*\})\s*$/.exec(line);
  if (m) figure(JSON.parse(m[1]));
}
if (guest.status === 125) console.log('interrupt latency: skipped (no guest can boot on this machine)');
process.exit(host.status || (guest.status === 125 ? 0 : guest.status) || 0);
