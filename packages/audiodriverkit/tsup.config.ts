import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/index.ts', 'src/plugin.ts'],
  format: ['esm', 'cjs'],
  dts: true,
});
