#!/usr/bin/env node
// `npm run bench`: every package's benchmark, one at a time (turbo, --concurrency=1, so that none
// measures while another loads the machine), then one table of every figure they recorded with its
// same-run baseline, the ratio and the goal; writes bench-results.json, and with `--markdown FILE`
// the page the README's performance section links to. Arguments after `--` go to turbo (for example
// `-- --filter=@driverkit/hiddriverkit`). Goals inform: a goal not met does not fail the run; a
// benchmark that crashes does, after the others have run (--continue), so one crash hides no figures.
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

clear();
const turbo = spawnSync('npx', ['turbo', 'run', 'bench', '--concurrency=1', '--continue', '--output-logs=full', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...process.env, DRIVERKIT_BENCH_FIGURES: file },
});

const rows = read();
const number = (v) => (v === undefined ? '' : v === null || Number.isNaN(v) ? 'none' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const head = ['package', 'figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'met'];
const cells = rows.map((r) => [
  r.package.replace('@driverkit/', ''),
  r.figure,
  `${number(r.value)} ${r.unit}`,
  r.baseline ? `${r.baseline}: ${number(r.baselineValue)}` : '',
  r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
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
writeFileSync(join(root, 'bench-results.json'), `${JSON.stringify({ at: new Date().toISOString(), machine, figures: rows }, null, 2)}\n`);
if (markdown) {
  const esc = (s) => s.replaceAll('|', '\\|');
  writeFileSync(
    markdown,
    [
      '# Performance: the figures',
      '',
      `What \`npm run bench\` measured on ${new Date().toISOString().slice(0, 10)} (${machine.cores} cores, ${machine.cpu}, Node ${machine.node}). Every figure is compared with a baseline measured in the same run on the same machine, so the ratio is what carries over to another machine; goals come from the issues that set them. On a shared VM one figure can move up to 2× between runs (a package bench run alone, \`npm run bench -- --filter=<package>\`, is the steadier reading); the baseline moves with it, which is why each figure has one. The benches are in each package's \`bench/\`.`,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
      ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`),
      '',
    ].join('\n'),
  );
}
if (turbo.status !== 0) console.log('a benchmark failed to run to its end (see its output above)');
process.exit(turbo.status === 0 ? 0 : 1);
