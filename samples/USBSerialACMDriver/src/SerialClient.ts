#!/usr/bin/env node
// An app for the sample: opens the published port with `serialport`, sends a line and reads it back
// through the device, raises DTR through the port's user client and reads the modem status the
// device answers with. `--socket PATH` names the host's socket.

import { IOMainPortCreate, IORegistryEntryCreateCFProperty, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
import { IOSerialGetModemStatus, IOSerialSetModemLines } from '@driverkit/serialdriverkit/client';
import { SerialPort } from 'serialport';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mainPort = IOMainPortCreate(arg('--socket'));
const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('USBSerialACMDriver'));
if (!service) {
  console.error('no USBSerialACMDriver service: is `driverkit run samples/USBSerialACMDriver` running?');
  process.exit(1);
}
const path = String(await IORegistryEntryCreateCFProperty(service, 'IOCalloutDevice'));
const port = await new Promise<SerialPort>((resolve, reject) => {
  const p = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)));
});
const line = 'Hello over USB CDC-ACM!\n';
const echoed = new Promise<string>((resolve) => {
  let got = '';
  port.on('data', (d: Buffer) => {
    got += d.toString();
    if (got.length >= line.length) resolve(got);
  });
});
port.write(line);
console.log(`${path}: sent ${JSON.stringify(line)}, read back ${JSON.stringify(await echoed)}`);
const connection = await IOServiceOpen(service, 0);
await IOSerialSetModemLines(connection, { dtr: true, rts: true });
// The device answers DTR with a SERIAL_STATE notification; give it a moment.
await new Promise((r) => setTimeout(r, 100));
console.log(`modem status with DTR up: ${JSON.stringify(await IOSerialGetModemStatus(connection))}`);
await IOServiceClose(connection);
await new Promise<void>((r) => port.close(() => r()));
mainPort.close?.();
process.exit(0);
