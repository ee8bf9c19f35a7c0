import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/EthernetBridgeDriver.ts', 'src/VirtualBench.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/networkingdriverkit'],
});
