// `npm run bench` in this package: the data path through a user-space driver against the kernel's
// bridge and a plain Node forwarder, in the same run (needs root: namespaces, veth, TAP).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const r = spawnSync(`${root}node_modules/.bin/tsx`, [`${here}networking.bench.ts`], { stdio: 'inherit' });
process.exit(r.status ?? 1);
