import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/PCIDriverKitPEX8733.ts', 'src/VirtualBench.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/pcidriverkit'],
});
