#!/usr/bin/env node
// An app for the sample: opens the keyboard event service, subscribes to its events, prints each key
// event and, at the end, the text the keys typed. `--seconds N` (default 3), `--socket PATH`.

import { IOMainPortCreate, IONotificationPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
import { IOHIDEventServiceSubscribe } from '@driverkit/hiddriverkit/client';
import { USTypist } from './USKeyboardLayout';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 3);
const mainPort = IOMainPortCreate(arg('--socket'));
const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('HIDKeyboardDriver'));
if (!service) {
  console.error('no HIDKeyboardDriver service: is `driverkit run samples/HIDKeyboardDriver` running?');
  process.exit(1);
}
const connection = await IOServiceOpen(service, 0);
const port = IONotificationPortCreate(mainPort);
const typist = new USTypist();
await IOHIDEventServiceSubscribe(connection, port, (event) => {
  if (event.type !== 'keyboard') return;
  console.log(`key ${event.value ? 'down' : 'up'} 0x${event.usagePage.toString(16)}:0x${event.usage.toString(16)}`);
  if (event.usagePage === 7) typist.key(event.usage, event.value !== 0);
});
await new Promise((r) => setTimeout(r, seconds * 1000));
console.log(`typed: ${JSON.stringify(typist.text)}`);
port.destroy();
await IOServiceClose(connection);
mainPort.close?.();
process.exit(0);
