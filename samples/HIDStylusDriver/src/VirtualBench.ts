// The sample's device on the virtual bench (package.json "driverkit.virtualBench"): an XP-Pen pen
// tablet (28BD:0905, its real report descriptor) on which a scripted pen draws three strokes, then
// pauses, and draws them again. With HID_REPLAY=<file> (a hid-recorder session) the recorded device
// and its reports are replayed instead, in a loop.

import { readFileSync } from 'node:fs';
import type { IOServiceHost } from '@driverkit/driverkit';
import { HIDRecording, encodeReport, parseReportDescriptor, VirtualHIDBackend, type IOHIDElement } from '@driverkit/hiddriverkit';

export const kBenchVendorID = 0x28bd;
export const kBenchProductID = 0x0905;

// XP-Pen 28BD:0905 as libinput issue 839 recorded it (via hidutils/hidreport's test data, MIT): report 7
// is tip, barrel, eraser, in range, X and Y (0…0x7FFF), pressure (0…0x1FFF), X and Y tilt (−127…127).
export const xpPenDescriptor = Uint8Array.from([
  0x05, 0x0d, 0x09, 0x02, 0xa1, 0x01, 0x85, 0x07, 0x09, 0x20, 0xa1, 0x00, 0x09, 0x42, 0x09, 0x44, 0x09, 0x45, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01,
  0x95, 0x03, 0x81, 0x02, 0x95, 0x02, 0x81, 0x03, 0x09, 0x32, 0x95, 0x01, 0x81, 0x02, 0x95, 0x02, 0x81, 0x03, 0x75, 0x10, 0x95, 0x01, 0x35, 0x00,
  0xa4, 0x05, 0x01, 0x09, 0x30, 0x65, 0x13, 0x55, 0x0d, 0x46, 0x10, 0x27, 0x26, 0xff, 0x7f, 0x81, 0x02, 0x09, 0x31, 0x46, 0x6a, 0x18, 0x26, 0xff,
  0x7f, 0x81, 0x02, 0xb4, 0x09, 0x30, 0x45, 0x00, 0x26, 0xff, 0x1f, 0x81, 0x42, 0x09, 0x3d, 0x15, 0x81, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x01, 0x81,
  0x02, 0x09, 0x3e, 0x15, 0x81, 0x25, 0x7f, 0x81, 0x02, 0xc0, 0xc0,
]);

/** One pen sample, in the descriptor's logical units. */
export interface PenSample {
  tip: number;
  inRange: number;
  x: number;
  y: number;
  pressure: number;
  tiltX: number;
  tiltY: number;
}

export const kPointsPerStroke = 20;

/**
 * The script: for each of three strokes the pen comes into range, puts its tip down, draws a
 * horizontal line left to right pressing harder and tilting from −40° to +40°, lifts its tip and
 * leaves. Stroke k runs at y = (k + 1) / 4 of the height.
 */
export function penScript(): PenSample[] {
  const samples: PenSample[] = [];
  for (let k = 0; k < 3; k++) {
    const y = (k + 1) * 0x2000;
    samples.push({ tip: 0, inRange: 1, x: 0x1000, y, pressure: 0, tiltX: 0, tiltY: 0 });
    for (let i = 0; i < kPointsPerStroke; i++) {
      const t = i / (kPointsPerStroke - 1);
      samples.push({ tip: 1, inRange: 1, x: 0x1000 + Math.round(t * 0x6000), y, pressure: Math.round(0x400 + t * 0x1800), tiltX: Math.round(-40 + 80 * t), tiltY: 10 * k });
    }
    samples.push({ tip: 0, inRange: 1, x: 0x7000, y, pressure: 0, tiltX: 0, tiltY: 0 });
    samples.push({ tip: 0, inRange: 0, x: 0x7000, y, pressure: 0, tiltX: 0, tiltY: 0 });
  }
  return samples;
}

/** The script as report 7s of the XP-Pen. */
export function penReports(samples: PenSample[] = penScript()): Uint8Array[] {
  const d = parseReportDescriptor(xpPenDescriptor);
  const input = d.reports.find((r) => r.type === 'input' && r.reportID === 7)!;
  const el = (page: number, usage: number): IOHIDElement => input.elements.find((e) => e.getUsagePage() === page && e.getUsage() === usage)!;
  const fields = { tip: el(0x0d, 0x42), inRange: el(0x0d, 0x32), x: el(0x01, 0x30), y: el(0x01, 0x31), pressure: el(0x0d, 0x30), tiltX: el(0x0d, 0x3d), tiltY: el(0x0d, 0x3e) };
  return samples.map((s) => encodeReport(d, 'input', 7, new Map(Object.entries(fields).map(([k, e]) => [e, s[k as keyof PenSample]]))));
}

export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const hid = VirtualHIDBackend.of(host);
  const file = process.env.HID_REPLAY;
  const recording = file
    ? HIDRecording.fromHidRecorder(readFileSync(file, 'utf8'))
    : new HIDRecording('Virtual Pen Tablet', kBenchVendorID, kBenchProductID, 'Virtual', xpPenDescriptor, penReports().map((report, i) => ({ time: i * 0.005, report })));
  const device = recording.toVirtualDevice(0x2000);
  const path = hid.add(device);
  const stop = new AbortController();
  // Draws only while someone has the device open, with a pause between rounds.
  void recording.loop(device, { signal: stop.signal, pauseMs: 500 });
  return async () => {
    stop.abort();
    hid.remove(path);
  };
}
