import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/plugin.ts'],
  // The plugin and the index share one copy of the family's classes.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
});
