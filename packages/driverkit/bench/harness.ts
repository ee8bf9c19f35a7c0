export { figure } from '../../../scripts/bench/figures.cjs';

/**
 * A small benchmark harness: each case runs in timed batches after a warm-up, and the median batch
 * gives the time per operation. Results are printed as ratios against baselines measured in the same
 * run, so a slower or busier machine moves both sides alike. Targets are reported, never asserted.
 */
export interface Measurement {
  name: string;
  nsPerOp: number;
}

/** Warms `fn` up until it has been optimised and returns the batch size that takes ~5 ms. */
function batchFor(fn: () => unknown): number {
  for (let batch = 1; ; batch *= 2) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    if (Number(process.hrtime.bigint() - t0) / 1e6 >= 5) return batch;
  }
}

export function measure(name: string, fn: () => unknown, minMs = 300): Measurement {
  const batch = batchFor(fn);
  const samples: number[] = [];
  const deadline = Date.now() + minMs;
  while (samples.length < 7 || Date.now() < deadline) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[samples.length >> 1]! };
}

/**
 * Measures two cases in alternating batches (a, b, a, b, …) and takes each one's median: a spell of
 * a busy machine then slows both alike, so their ratio holds where two measurements taken one after
 * the other could each catch a different spell.
 */
export function measurePair(a: [string, () => unknown], b: [string, () => unknown], minMs = 600): [Measurement, Measurement] {
  const cases = [a, b].map(([name, fn]) => ({ name, fn, batch: batchFor(fn), samples: [] as number[] }));
  const deadline = Date.now() + minMs;
  while (cases[0]!.samples.length < 7 || Date.now() < deadline) {
    for (const c of cases) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < c.batch; i++) c.fn();
      c.samples.push(Number(process.hrtime.bigint() - t0) / c.batch);
    }
  }
  const [ma, mb] = cases.map((c) => ({ name: c.name, nsPerOp: c.samples.sort((x, y) => x - y)[c.samples.length >> 1]! }));
  return [ma!, mb!];
}

export function formatTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/** Prints a case against its baselines: time per op and the ratio ours/baseline (< 1 is faster). */
export function report(ours: Measurement, baselines: Measurement[]): void {
  console.log(`  ${ours.name.padEnd(44)} ${formatTime(ours.nsPerOp).padStart(10)}`);
  for (const b of baselines) {
    console.log(`    vs ${b.name.padEnd(40)} ${formatTime(b.nsPerOp).padStart(10)}   ratio ${(ours.nsPerOp / b.nsPerOp).toFixed(2)}×`);
  }
}

/** Prints whether a target was met; benchmarks inform, they never fail the build. */
export function target(description: string, met: boolean, detail: string): void {
  console.log(`  target: ${description}: ${met ? 'met' : 'NOT MET'} (${detail})`);
}
