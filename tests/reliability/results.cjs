// The reliability suite's figures: each test records rows here as it proves something, and
// `npm run reliability` prints them as one table (report.mjs). Rows go to a JSON-lines file so that
// jest's workers, each in its own process, can all add to it.
const { join } = require('node:path');
const { appendRow, clearRows, readRows } = require('../../scripts/lib/jsonlRows.cjs');

const file = process.env.RELIABILITY_RESULTS ?? join(__dirname, '.results', 'results.jsonl');

/**
 * @param {{ area: string, check: string, count: number, of: string, outcome: 'held' | 'FAILED', figures: string }} row
 *   `count` of `of` (inputs, faults, clients, seconds) were tried; `figures` is what was measured.
 */
function record(row) {
  appendRow(file, { ...row, at: new Date().toISOString() });
}

const clear = () => clearRows(file);
const read = () => readRows(file);

module.exports = { record, clear, read, file };
