import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/USBSerialACMDriver.ts', 'src/VirtualBench.ts', 'src/SerialClient.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@driverkit/driverkit', '@driverkit/serialdriverkit', '@driverkit/usbdriverkit', 'serialport'],
});
