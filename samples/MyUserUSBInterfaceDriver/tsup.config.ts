import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/MyUserUSBInterfaceDriver.ts', 'src/VirtualBench.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@driverkit/driverkit', '@driverkit/usbdriverkit'],
});
