// Rows in a JSON-lines file that several processes append to (jest workers, each package's bench): the
// reliability suite's results and the benchmarks' figures.
const { appendFileSync, mkdirSync, readFileSync, rmSync } = require('node:fs');
const { dirname } = require('node:path');

function appendRow(file, row) {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}

function clearRows(file) {
  rmSync(file, { force: true });
}

/** The rows written so far, or none when the file does not exist. */
function readRows(file) {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

module.exports = { appendRow, clearRows, readRows };
