#!/usr/bin/env node
// `npm run bench`: every package's benchmark, one at a time (turbo, --concurrency=1, so that none
// measures while another loads the machine), then one table of every figure they recorded with its
// same-run baseline, the ratio and the goal; writes bench-results.json, and with `--markdown FILE`
// the page the README's performance section links to. Arguments after `--` go to turbo (for example
// `-- --filter=@driverkit/hiddriverkit`). Goals inform: a goal not met does not fail the run; a
// benchmark that crashes does, after the others have run (--continue), so one crash hides no figures.
// `--runs N` runs every bench N times and reports each figure's median run (its value and baseline from
// that same run) with the spread across runs: on a shared VM one run's verdict can flip on noise.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { read, clear, file } = createRequire(import.meta.url)('./bench/figures.cjs');
const args = process.argv.slice(2);
const mdAt = args.indexOf('--markdown');
const markdown = mdAt >= 0 ? args.splice(mdAt, 2)[1] : null;
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 1;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number of runs, 1 or more');

/** Each figure's rows across runs, in the order figures first appeared. */
const byFigure = new Map();
let failed = false;
for (let run = 1; run <= runs; run++) {
  if (runs > 1) console.log(`\nbench run ${run} of ${runs}`);
  clear();
  const turbo = spawnSync('npx', ['turbo', 'run', 'bench', '--concurrency=1', '--continue', '--output-logs=full', ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...process.env, DRIVERKIT_BENCH_FIGURES: file },
  });
  failed ||= turbo.status !== 0;
  for (const r of read()) {
    const key = `${r.package}\0${r.figure}`;
    if (!byFigure.has(key)) byFigure.set(key, []);
    byFigure.get(key).push(r);
  }
}

// The median run by what the goal is stated in: the ratio for a goal against the baseline, else the value.
const byRatio = (r) => r.ratio !== undefined && (r.goal === undefined || r.goal.includes('baseline'));
const measure = (r) => (byRatio(r) ? r.ratio : r.value);
const rows = [...byFigure.values()].map((all) => {
  const sorted = [...all].sort((a, b) => measure(a) - measure(b));
  const median = sorted[(sorted.length - 1) >> 1];
  return all.length > 1 ? { ...median, runs: all.length, spread: [measure(sorted[0]), measure(sorted[sorted.length - 1])] } : median;
});
const number = (v) => (v === undefined ? '' : v === null || Number.isNaN(v) ? 'none' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const spread = (r) => (r.spread ? `${number(r.spread[0])}–${number(r.spread[1])}${byRatio(r) ? '×' : ` ${r.unit}`} (${r.runs} runs)` : '');
const head = ['package', 'figure', 'value', 'baseline (same run)', 'ratio', ...(runs > 1 ? ['spread'] : []), 'goal', 'met'];
const cells = rows.map((r) => [
  r.package.replace('@driverkit/', ''),
  r.figure,
  `${number(r.value)} ${r.unit}`,
  r.baseline ? `${r.baseline}: ${number(r.baselineValue)}` : '',
  r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
  ...(runs > 1 ? [spread(r)] : []),
  r.goal ?? '',
  r.met === undefined ? '' : r.met ? 'met' : 'NOT MET',
]);
const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i].length))));
const line = (c) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
console.log(`\n${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
for (const c of cells) console.log(line(c));
const missed = rows.filter((r) => r.met === false);
console.log(`\n${rows.length} figures; ${rows.filter((r) => r.met !== undefined).length} with a goal, ${missed.length} not met`);

const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version };
writeFileSync(join(root, 'bench-results.json'), `${JSON.stringify({ at: new Date().toISOString(), machine, runs, figures: rows }, null, 2)}\n`);
if (markdown) {
  const esc = (s) => s.replaceAll('|', '\\|');
  writeFileSync(
    markdown,
    [
      '# Performance: the figures',
      '',
      `What \`npm run bench\` measured on ${new Date().toISOString().slice(0, 10)} (${machine.cores} cores, ${machine.cpu}, Node ${machine.node}). Every figure is compared with a baseline measured in the same run on the same machine, so the ratio is what carries over to another machine; goals come from the issues that set them. On a shared VM one figure can move up to 2× between runs; the baseline moves with it, which is why each figure has one${runs > 1 ? `, and each figure here is the median of ${runs} runs (its value and baseline from that run), with the other runs' range as its spread` : ' (`npm run bench -- --runs 3` reports each figure\'s median run and its spread)'}. The benches are in each package's \`bench/\`.`,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
      ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`),
      '',
    ].join('\n'),
  );
}
if (failed) console.log('a benchmark failed to run to its end (see its output above)');
process.exit(failed ? 1 : 0);
