import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/HIDStylusDriver.ts', 'src/VirtualBench.ts', 'src/StylusClient.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/hiddriverkit'],
});
