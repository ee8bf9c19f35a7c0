import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/USBSerialACMDriver.ts', 'src/VirtualBench.ts', 'src/SerialClient.ts'],
  format: ['esm'],
  external: ['@driverkit/driverkit', '@driverkit/serialdriverkit', '@driverkit/usbdriverkit', 'serialport'],
});
