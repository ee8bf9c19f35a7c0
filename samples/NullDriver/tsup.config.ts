import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/NullDriver.ts', 'src/NullDriverClient.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
