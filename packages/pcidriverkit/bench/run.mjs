// `npm run bench` in this package: BAR access (here), then interrupt latency on the real edu in the
// guest tier (skipped, saying so, where no guest can boot).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;
const host = spawnSync(tsx, [`${here}pci.bench.ts`], { stdio: 'inherit' });
const guest = spawnSync(process.execPath, [`${root}scripts/guest/run.mjs`, '--timeout', '600', '--', tsx, `${here}interrupts.guest-bench.ts`], { cwd: root, stdio: 'inherit' });
if (guest.status === 125) console.log('interrupt latency: skipped (no guest can boot on this machine)');
process.exit(host.status || (guest.status === 125 ? 0 : guest.status) || 0);
