import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HIDRecording, parseReportDescriptor } from '../index';

const data = join(__dirname, '../../../../../shared/data/hid');

test('hid-recorder files: the PenPartner session has its 874 reports (757 #2, 117 #0x63), the Inkling only a descriptor', () => {
  const pen = HIDRecording.fromHidRecorder(readFileSync(join(data, 'wacom/recordings/Wacom_PenPartner__056a-0061.hidrecord.txt'), 'utf8'));
  expect([pen.name, pen.vendorId, pen.productId, pen.transport, pen.reportDescriptor.length]).toEqual(['WACOM FT-0203-UV1.4-2', 0x056a, 0x0061, 'USB', 110]);
  expect(pen.reports).toHaveLength(874);
  expect(pen.reports.filter((r) => r.report[0] === 0x02)).toHaveLength(757);
  expect(pen.reports.filter((r) => r.report[0] === 0x63)).toHaveLength(117);
  expect(pen.reports[8]!.time).toBeCloseTo(0.06783, 6);
  // Every recorded report is one the descriptor defines, at its full length.
  const d = parseReportDescriptor(pen.reportDescriptor, 'strict');
  for (const r of pen.reports) expect(d.reports.find((x) => x.type === 'input' && x.reportID === r.report[0])?.length).toBe(r.report.length);
  const inkling = HIDRecording.fromHidRecorder(readFileSync(join(data, 'wacom/recordings/Wacom_Inkling__056a-0221.hidrecord.txt'), 'utf8'));
  expect([inkling.productId, inkling.reports.length]).toEqual([0x0221, 0]);
  expect(() => HIDRecording.fromHidRecorder('N: x\nR: 3 05 01\n')).toThrow(/line 2: declares 3 bytes but has 2/);
});

test('the Android hid tool\'s register command (hex literals and all)', () => {
  const kbd = HIDRecording.fromAndroidHid(readFileSync(join(data, 'android-cts/microsoft_designer_keyboard_register.json'), 'utf8'), [[1, 0, 4]]);
  expect([kbd.name, kbd.vendorId, kbd.productId, kbd.reportDescriptor.length, kbd.reports.length]).toEqual(['Designer Keyboard (Test)', 0x045e, 0x0806, 162, 1]);
});

test('hidapi\'s dumps in all three notations: each file\'s usage and usage page (from its name) is a top-level collection', () => {
  const files = readdirSync(join(data, 'hidapi')).filter((f) => f.endsWith('.rpt_desc'));
  expect(files).toHaveLength(11);
  for (const f of files) {
    // The names are VID_PID_Usage_UsagePage (045E_02FF_0005_0001 is the game pad: page 1, usage 5).
    const [, , usage, page] = f.split('_').map((h) => parseInt(h, 16));
    const d = parseReportDescriptor(HIDRecording.descriptorFromHidapiText(readFileSync(join(data, 'hidapi', f), 'utf8')), 'lenient');
    const tops = d.root.getChildElements().map((c) => `${c.getUsagePage()}:${c.getUsage()}`);
    expect({ f, has: tops.includes(`${page}:${usage}`) }).toEqual({ f, has: true });
  }
  // The Traktor's is the long one: 381 items, 758 bytes (the data README says 742), every item whole.
  const traktor = HIDRecording.descriptorFromHidapiText(readFileSync(join(data, 'hidapi/17CC_1130_0000_FF01_real.rpt_desc'), 'utf8'));
  expect(traktor).toHaveLength(758);
  expect(() => parseReportDescriptor(traktor, 'strict')).not.toThrow();
});
