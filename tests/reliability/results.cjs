// The reliability suite's figures: each test records rows here as it proves something, and
// `npm run reliability` prints them as one table (report.mjs). Rows go to a JSON-lines file so that
// jest's workers, each in its own process, can all add to it.
const { appendFileSync, mkdirSync, readFileSync, rmSync } = require('node:fs');
const { dirname, join } = require('node:path');

const file = process.env.RELIABILITY_RESULTS ?? join(__dirname, '.results', 'results.jsonl');

/**
 * @param {{ area: string, check: string, count: number, of: string, outcome: 'held' | 'FAILED', figures: string }} row
 *   `count` of `of` (inputs, faults, clients, seconds) were tried; `figures` is what was measured.
 */
function record(row) {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}

function clear() {
  rmSync(file, { force: true });
}

function read() {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

module.exports = { record, clear, read, file };
