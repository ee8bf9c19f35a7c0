import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/HIDStylusDriver.ts', 'src/VirtualBench.ts', 'src/StylusClient.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@driverkit/driverkit', '@driverkit/hiddriverkit'],
});
