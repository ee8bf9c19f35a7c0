import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/NullDriver.ts', 'src/NullDriverClient.ts'],
  format: ['esm'],
});
