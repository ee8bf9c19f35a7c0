#!/usr/bin/env node
// An app for the sample: opens the stylus event service, subscribes to its events and prints each
// stroke (tip down to tip up) as it ends: its points with position (0…1), pressure (0…1) and tilt
// (degrees). `--seconds N` (default 3), `--socket PATH`, `--summary` (one line per stroke).

import { IOFixedToDouble } from '@driverkit/driverkit';
import { IOMainPortCreate, IONotificationPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
import { IOHIDEventServiceSubscribe } from '@driverkit/hiddriverkit/client';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 3);
const summary = process.argv.includes('--summary');
const mainPort = IOMainPortCreate(arg('--socket'));
const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('HIDStylusDriver'));
if (!service) {
  console.error('no HIDStylusDriver service: is `driverkit run samples/HIDStylusDriver` running?');
  process.exit(1);
}
const connection = await IOServiceOpen(service, 0);
const port = IONotificationPortCreate(mainPort);
const f = (v: number, digits = 4) => IOFixedToDouble(v).toFixed(digits);
let points: string[] = [];
let strokes = 0;
let first = '';
let last = '';
let pressure = 0;
await IOHIDEventServiceSubscribe(connection, port, (event) => {
  if (event.type !== 'stylus') return;
  const s = event.stylus;
  if (s.buttonState & 1) {
    last = `(${f(s.x, 2)}, ${f(s.y, 2)})`;
    if (!points.length) [first, pressure] = [last, 0];
    pressure = Math.max(pressure, s.tipPressure);
    points.push(`(${f(s.x)}, ${f(s.y)}) pressure ${f(s.tipPressure)} tilt ${f(s.tiltX, 1)}° ${f(s.tiltY, 1)}°`);
  } else if (points.length) {
    if (summary) console.log(`stroke ${++strokes}: ${points.length} points from ${first} to ${last}, pressure up to ${f(pressure, 2)}`);
    else {
      console.log(`stroke ${++strokes}: ${points.length} points`);
      for (const p of points) console.log(`  ${p}`);
    }
    points = [];
  }
  if (!s.inRange && !summary) console.log('out of range');
});
await new Promise((r) => setTimeout(r, seconds * 1000));
console.log(`strokes: ${strokes}`);
port.destroy();
await IOServiceClose(connection);
mainPort.close?.();
process.exit(0);
