// Shared jest settings for every workspace package: TypeScript sources are compiled by swc, and
// cross-package imports resolve to the other package's src/ through the "@driverkit/source" export
// condition, so tests never depend on a stale dist/.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Many tests spawn hosts and driver processes; CI runs every package's suite at once on 2 cores,
  // where jest's 5 s default is hit by tests that are only waiting on a loaded machine.
  testTimeout: 30_000,
  reporters: ['default', require.resolve('./scripts/jest/ExitAfterFailure.cjs')],
  testEnvironmentOptions: { customExportConditions: ['@driverkit/source', 'node', 'require', 'default'] },
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          target: 'es2022',
          transform: { decoratorVersion: '2022-03', useDefineForClassFields: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  extensionsToTreatAsEsm: [],
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
