import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: { index: 'src/index.ts', 'cli/driverkit': 'src/cli/driverkit.ts', 'server/main': 'src/server/main.ts', 'client/index': 'src/client/index.ts' },
  // Entries other than index reach the core through the package name, so a driver package loaded next
  // to them shares their copy of IOService (two copies would make instanceof lie).
  external: ['@driverkit/driverkit'],
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'client/index': 'src/client/index.ts' } },
  // The native module finds koffi through import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
