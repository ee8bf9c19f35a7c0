// The guest tier's jest project: tests named *.guest.test.ts under each package's guest/ folder, run
// inside the QEMU guest (`npm run test:guest`), one at a time since gadgets share dummy_hcd's one UDC.
const preset = require('./jest.preset.cjs');

/** @type {import('jest').Config} */
module.exports = {
  ...preset,
  rootDir: __dirname,
  testMatch: ['<rootDir>/packages/*/guest/**/*.guest.test.ts'],
  // The host's disk is read-only in the guest; its scratch is TMPDIR (under /run).
  cacheDirectory: `${process.env.TMPDIR ?? '/tmp'}/jest-guest-cache`,
  testTimeout: 120_000,
};
