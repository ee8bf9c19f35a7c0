// `npm run bench` in this package: every benchmark of the core, each in a fresh process so that one
// benchmark's heap and JIT state cannot skew the next (a large live heap alone triples an idle
// queue's wake time, through the garbage collector).
import { spawnSync } from 'node:child_process';

const benches = ['serialization', 'dispatch', 'timer', 'dataqueue', 'userclient'];
let failed = false;
for (const name of benches) {
  const runner = new URL('./run.ts', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['--import', 'tsx', runner, name], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`benchmark ${name} failed (exit ${r.status ?? r.signal})`);
    failed = true;
  }
}
if (failed) process.exit(1);
