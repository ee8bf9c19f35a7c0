// The benchmarks' figures: each bench records what it measured here, as well as printing it, and the
// root `npm run bench` (scripts/bench.mjs) ends with them as one table and writes bench-results.json.
// Rows go to a JSON-lines file so that every package's bench, each its own process, can add to it.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { appendRow, clearRows, readRows } = require('../lib/jsonlRows.cjs');

const file = process.env.DRIVERKIT_BENCH_FIGURES ?? join(__dirname, '..', '..', '.bench', 'figures.jsonl');

function packageName() {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).name;
  } catch {
    return '';
  }
}

/**
 * @param {{ figure: string, value: number, unit: string, baseline?: string, baselineValue?: number,
 *   goal?: string, met?: boolean }} row
 *   `value` in `unit`; `baseline` names what the same run measured to compare against (its figure in
 *   the same unit as `baselineValue`); `goal` says the target in words and `met` whether it held.
 */
function figure(row) {
  const ratio = row.baselineValue ? row.value / row.baselineValue : undefined;
  appendRow(file, { package: packageName(), ...row, ratio });
}

const clear = () => clearRows(file);
const read = () => readRows(file);

module.exports = { figure, clear, read, file };
