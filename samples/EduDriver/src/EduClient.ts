#!/usr/bin/env node
// The sample's client app: opens EduDriver through the host, asks the device for factorials, sends a
// buffer through its DMA engine and back, and prints what the driver counted.
//
//   edu-client [--socket <path>] [--size <bytes>]

import { IOConnectCallMethod, IOConnectCallScalarMethod, IOMainPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, ioReturnString, isIOReturnError } from '@driverkit/driverkit/client';
import { EduExternalMethod, kEduDMABufferSize } from './EduDriverShared';

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const size = Number(option('--size') ?? kEduDMABufferSize);

async function main(): Promise<number> {
  const port = IOMainPortCreate(option('--socket'));
  try {
    const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('EduDriver'));
    if (!service) {
      console.error('EduDriver is not running (start the host with `driverkit run samples/EduDriver`)');
      return 1;
    }
    const connection = await IOServiceOpen(service, 0);
    try {
      const [, identification] = await IOConnectCallScalarMethod(connection, EduExternalMethod.Status, [], 2);
      console.log(`Opened a connection to EduDriver: edu ${Number(identification) >>> 24}.${(Number(identification) >>> 16) & 0xff}`);
      const [inverse] = await IOConnectCallScalarMethod(connection, EduExternalMethod.Liveness, [0x12345678n], 1);
      console.log(`Liveness: wrote 0x12345678, read 0x${inverse!.toString(16)}`);
      for (const n of [5n, 10n, 12n]) {
        const [result] = await IOConnectCallScalarMethod(connection, EduExternalMethod.Factorial, [n], 1);
        console.log(`Factorial: ${n}! = ${result}`);
      }
      const data = new Uint8Array(size);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
      const { structureOutput } = await IOConnectCallMethod(connection, EduExternalMethod.DMARoundTrip, { structureInput: data, structureOutputSize: data.length });
      const same = structureOutput.length === data.length && structureOutput.every((b, i) => b === data[i]);
      console.log(`DMA: sent ${data.length} bytes to the device and back, ${same ? 'identical' : 'DIFFERENT'}`);
      const [interrupts] = await IOConnectCallScalarMethod(connection, EduExternalMethod.Status, [], 2);
      console.log(`Interrupts handled by the driver: ${interrupts}`);
      return same ? 0 : 1;
    } finally {
      await IOServiceClose(connection);
    }
  } catch (e) {
    console.error(`edu-client: ${isIOReturnError(e) ? `${e.message} (${ioReturnString(e.code)})` : (e as Error).message}`);
    return 1;
  } finally {
    port.close();
  }
}

process.exitCode = await main();
