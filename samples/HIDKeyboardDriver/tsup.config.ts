import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/HIDKeyboardDriver.ts', 'src/VirtualBench.ts', 'src/KeyboardClient.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/hiddriverkit'],
});
