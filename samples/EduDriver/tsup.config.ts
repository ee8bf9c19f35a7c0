import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/EduDriver.ts', 'src/VirtualBench.ts', 'src/EduClient.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/pcidriverkit'],
});
