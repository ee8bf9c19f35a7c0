import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/HIDKeyboardDriver.ts', 'src/VirtualBench.ts', 'src/KeyboardClient.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@driverkit/driverkit', '@driverkit/hiddriverkit'],
});
