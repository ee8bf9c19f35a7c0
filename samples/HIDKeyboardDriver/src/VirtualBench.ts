// The sample's device on the virtual bench (package.json "driverkit.virtualBench"): a boot keyboard
// (HID 1.11 Appendix B.1) that types a line, pauses, and types it again. With HID_REPLAY=<file> (a
// hid-recorder session) the recorded device and its reports are replayed instead, in a loop.

import { readFileSync } from 'node:fs';
import type { IOServiceHost } from '@driverkit/driverkit';
import { HIDRecording, VirtualHIDDevice, VirtualHIDBackend } from '@driverkit/hiddriverkit';
import { keyFor, kModifierUsages } from './USKeyboardLayout';

export const kBenchVendorID = 0x1209;
export const kBenchProductID = 0x4b42;
export const kBenchText = 'Hello from DriverKit!\n';

// The boot keyboard descriptor: modifiers, a reserved byte, LEDs out, six key slots.
export const bootKeyboardDescriptor = Uint8Array.from([
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01,
  0x75, 0x03, 0x91, 0x01, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xc0,
]);

/** The reports that type `text` on a boot keyboard: each character's key down (with shift if needed), then all keys up. */
export function typingReports(text: string): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (const c of text) {
    const key = keyFor(c);
    if (!key) continue;
    const shift = key.shift ? 1 << (kModifierUsages.leftShift - 0xe0) : 0;
    reports.push(Uint8Array.of(shift, 0, key.usage, 0, 0, 0, 0, 0), new Uint8Array(8));
  }
  return reports;
}

export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const hid = VirtualHIDBackend.of(host);
  const file = process.env.HID_REPLAY;
  const recording = file
    ? HIDRecording.fromHidRecorder(readFileSync(file, 'utf8'))
    : new HIDRecording('Virtual Keyboard', kBenchVendorID, kBenchProductID, 'Virtual', bootKeyboardDescriptor, typingReports(kBenchText).map((report, i) => ({ time: i * 0.02, report })));
  const device: VirtualHIDDevice = recording.toVirtualDevice(0x1000);
  const path = hid.add(device);
  const stop = new AbortController();
  // Types only while someone has the device open, with a pause between rounds.
  void recording.loop(device, { signal: stop.signal, pauseMs: 500 });
  return async () => {
    stop.abort();
    hid.remove(path);
  };
}
