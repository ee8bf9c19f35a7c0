import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/plugin.ts', 'src/testing.ts'],
  // The plugin and the index share one copy of the family's classes (the host slot's class among them).
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
});
