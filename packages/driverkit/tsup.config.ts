import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'cli/driverkit': 'src/cli/driverkit.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The native module finds koffi through import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
