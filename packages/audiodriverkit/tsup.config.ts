import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/plugin.ts', 'src/testing.ts'],
  // The plugin, the index and the testing entry share one copy of the family's classes.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
});
