#!/usr/bin/env node
// Prints the figures the reliability tests recorded as one table, in the order they ran, grouped by
// area. `--markdown FILE` also writes it as the page the README links to. Exits 1 if a row failed or
// none were recorded (a table with nothing in it proves nothing).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const { read, file } = createRequire(import.meta.url)('./results.cjs');
const rows = read();
if (!rows.length) {
  console.error(`reliability: no figures in ${file}: did the tests run?`);
  process.exit(1);
}
const areas = ['fuzzing', 'faults', 'leaks', 'load', 'security', 'busy machine'];
rows.sort((a, b) => (areas.indexOf(a.area) + 1 || 99) - (areas.indexOf(b.area) + 1 || 99));
const head = ['area', 'check', 'tried', 'outcome', 'figures'];
const cells = rows.map((r) => [r.area, r.check, `${r.count} ${r.of}`, r.outcome, r.figures]);
const widths = head.map((h, i) => Math.min(i === 4 ? 200 : 70, Math.max(h.length, ...cells.map((c) => c[i].length))));
const line = (c) => c.map((v, i) => (i === 4 ? v : v.padEnd(widths[i]))).join('  ');
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const c of cells) console.log(line(c));
const failed = rows.filter((r) => r.outcome !== 'held');
console.log(`\n${rows.length} checks, ${failed.length} failed`);

const i = process.argv.indexOf('--markdown');
if (i > 0) {
  const esc = (s) => s.replaceAll('|', '\\|');
  const md = [
    '# Reliability and security: the figures',
    '',
    `What \`npm run reliability\` measured on ${new Date(rows[0].at).toISOString().slice(0, 10)} (${cpus().length} cores, Node ${process.version}, FUZZ_RUNS=${process.env.FUZZ_RUNS ?? 'default'}, LOAD_SECONDS=${process.env.LOAD_SECONDS ?? 'default'}). Each row says what was tried, how many times, and what held; the tests behind it are in \`tests/reliability/test/\`.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`),
    '',
  ].join('\n');
  writeFileSync(process.argv[i + 1], md);
}
process.exit(failed.length ? 1 : 0);
