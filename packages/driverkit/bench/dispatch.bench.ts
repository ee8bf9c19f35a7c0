import { IODispatchQueue } from '@driverkit/driverkit';
import { figure, formatTime, target } from './harness';

/** Median of `rounds` timings of `once()`, in ns per `per` operations. */
async function median(rounds: number, per: number, once: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - t0) / per);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

export async function run(): Promise<void> {
  console.log('\ndispatch');
  const queue = IODispatchQueue.Create('bench', 0, 0);
  let counter = 0;
  const block = () => {
    counter++;
  };
  const N = 200_000;
  const queued = await median(15, N, async () => {
    for (let i = 0; i < N; i++) queue.DispatchAsync(block);
    await queue.DispatchSync(() => counter);
  });
  console.log(`  a block on a busy queue (dispatch + run)          ${formatTime(queued).padStart(10)}   ${(1e3 / queued).toFixed(1)} M blocks/s`);
  target('≤ 100 ns per block, ≥ 10 M blocks/s', queued <= 100, `${queued.toFixed(0)} ns`);
  figure({ figure: 'dispatch queue: a block on a busy queue', value: queued, unit: 'ns', goal: '≤ 100 ns', met: queued <= 100 });

  const hops = 2_000;
  const wake = await median(15, hops, async () => {
    for (let i = 0; i < hops; i++) await new Promise<void>((r) => queue.DispatchAsync(r));
  });
  const immediate = await median(15, hops, async () => {
    for (let i = 0; i < hops; i++) await new Promise<void>((r) => setImmediate(r));
  });
  console.log(`  waking an idle queue                              ${formatTime(wake).padStart(10)}`);
  console.log(`    vs a bare setImmediate hop                      ${formatTime(immediate).padStart(10)}   ratio ${(wake / immediate).toFixed(2)}×`);
  target('idle-queue wake ≤ 1.1× a setImmediate hop', wake / immediate <= 1.1, `${(wake / immediate).toFixed(2)}×`);
  figure({ figure: 'dispatch queue: waking an idle queue', value: wake, unit: 'ns', baseline: 'setImmediate hop', baselineValue: immediate, goal: '≤ 1.1× baseline', met: wake / immediate <= 1.1 });
  queue.Cancel();
}
