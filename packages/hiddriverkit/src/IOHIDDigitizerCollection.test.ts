import { IOFixedFromDouble, kIOFixedOne } from '@driverkit/driverkit';
import { HIDReportProcessor } from './descriptor/HIDReportProcessor';
import { encodeReport, parseReportDescriptor } from './index';
import { kIOHIDValueScaleTypeCalibrated, kIOHIDValueScaleTypePhysical, type IOHIDElement } from './IOHIDElement';
import { IOHIDDigitizerCollection, kIOHIDDigitizerCollectionTypeStylus } from './IOHIDDigitizerCollection';

// A pen: tip, barrel, eraser, invert, in range; X and Y 0…0xFFFF; pressure 0…4095; tilt −60…60
// in half degrees (physical −30…30); twist 0…359.
const pen = Uint8Array.from([
  0x05, 0x0d, 0x09, 0x02, 0xa1, 0x01, 0x85, 0x02, 0x09, 0x20, 0xa1, 0x00,
  0x09, 0x42, 0x09, 0x44, 0x09, 0x45, 0x09, 0x3c, 0x09, 0x32, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x05, 0x81, 0x02, 0x95, 0x03, 0x81, 0x03,
  0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x27, 0xff, 0xff, 0x00, 0x00, 0x75, 0x10, 0x95, 0x02, 0x81, 0x02,
  0x05, 0x0d, 0x09, 0x30, 0x26, 0xff, 0x0f, 0x95, 0x01, 0x81, 0x02,
  0x09, 0x3d, 0x09, 0x3e, 0x15, 0xc4, 0x25, 0x3c, 0x35, 0xe2, 0x45, 0x1e, 0x75, 0x08, 0x95, 0x02, 0x81, 0x02,
  0x09, 0x41, 0x15, 0x00, 0x26, 0x67, 0x01, 0x35, 0x00, 0x46, 0x67, 0x01, 0x75, 0x10, 0x95, 0x01, 0x81, 0x02,
  0xc0, 0xc0,
]);

describe('IOHIDDigitizerCollection', () => {
  const d = parseReportDescriptor(pen);
  const input = d.reports.find((r) => r.type === 'input')!;
  const fields = input.elements.filter((e) => !e.isConstant());
  const el = (page: number, usage: number) => fields.find((e) => e.getUsagePage() === page && e.getUsage() === usage)!;
  const stylus = new IOHIDDigitizerCollection(kIOHIDDigitizerCollectionTypeStylus, fields[0]!.getParentElement()!);
  for (const e of fields) stylus.addElement(e);
  const processor = new HIDReportProcessor(d);
  const send = (ts: bigint, values: [IOHIDElement, number][]) => processor.process('input', encodeReport(d, 'input', 2, new Map(values)), ts);

  test('its values are the elements’ own scaled values (calibrated for axes, physical for tilt), for any report', () => {
    let seed = 7;
    const random = (min: number, max: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return min + (seed % (max - min + 1));
    };
    for (let n = 1; n <= 200; n++) {
      send(BigInt(n), fields.map((e) => [e, random(e.getLogicalMin(), e.getLogicalMax())]));
      const s = stylus.stylusData(3);
      const cal = (e: IOHIDElement) => IOFixedFromDouble(e.getScaledValue(kIOHIDValueScaleTypeCalibrated));
      const phys = (e: IOHIDElement) => IOFixedFromDouble(e.getScaledValue(kIOHIDValueScaleTypePhysical));
      expect(s).toEqual({
        identifier: 3,
        x: cal(el(1, 0x30)),
        y: cal(el(1, 0x31)),
        z: 0,
        tipPressure: cal(el(0x0d, 0x30)),
        barrelPressure: 0,
        twist: cal(el(0x0d, 0x41)),
        tiltX: phys(el(0x0d, 0x3d)),
        tiltY: phys(el(0x0d, 0x3e)),
        buttonState: el(0x0d, 0x42).value | (el(0x0d, 0x44).value << 1) | (el(0x0d, 0x45).value << 2),
        inRange: el(0x0d, 0x32).value === 1,
        invert: el(0x0d, 0x3c).value === 1 || el(0x0d, 0x45).value === 1,
      });
      expect(stylus.updatedBy(BigInt(n), 2)).toBe(true);
      expect(stylus.updatedBy(BigInt(n - 1), 2)).toBe(false);
      expect(stylus.updatedBy(BigInt(n), 3)).toBe(false);
    }
  });

  test('tilt reads in degrees through the physical range: −60 half degrees is −30°', () => {
    send(1000n, [[el(0x0d, 0x3d), -60], [el(0x0d, 0x3e), 31]]);
    expect(stylus.stylusData(0)).toMatchObject({ tiltX: -30 * kIOFixedOne, tiltY: 15.5 * kIOFixedOne });
  });

  test('a value past the logical range scales on, as getScaledValue does', () => {
    const report = encodeReport(d, 'input', 2, new Map([[el(0x0d, 0x3d), 0]]));
    report[8] = 0x7f; // X tilt: 127, past the logical maximum of 60
    processor.process('input', report, 1001n);
    expect(stylus.stylusData(0).tiltX).toBe(63.5 * kIOFixedOne);
  });
});
