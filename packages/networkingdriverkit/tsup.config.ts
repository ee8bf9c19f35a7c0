import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/plugin.ts', 'src/testing.ts'],
  // The plugin, the index and the testing entry share one copy of the family's classes (and of its port registry).
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  // The pcap backend finds koffi through import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
