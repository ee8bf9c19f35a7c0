import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/client.ts', 'src/plugin.ts', 'src/testing.ts'],
  // The entries share one copy of the family's classes (a bench's provider is the plugin's class).
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
});
