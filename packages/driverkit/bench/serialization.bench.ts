import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { Packr } from 'msgpackr';
import { OSSerializeBinary, OSUnserializeBinary, OSUnserializeXML, fromOSObject, toOSDictionary, type OSDictionary } from '@driverkit/driverkit';
import { figure, formatTime, measure, measurePair, report, target } from './harness';

/** A personality as Apple's dexts declare them: 30 keys, strings, integers, booleans, one nested dictionary. */
function personality(): OSDictionary {
  return toOSDictionary({
    CFBundleIdentifier: 'com.example.driverkit.VendorSpecificDriver',
    CFBundleIdentifierKernel: 'com.apple.kpi.iokit',
    IOClass: 'IOUserService',
    IOProviderClass: 'IOUSBHostInterface',
    IOUserClass: 'VendorSpecificDriver',
    IOUserServerName: 'com.example.driverkit.VendorSpecificDriver',
    IOMatchCategory: 'com.example.driverkit.VendorSpecificDriver',
    IOProbeScore: 1000,
    IOUserServerOneProcess: true,
    idVendor: 0x045e,
    idProduct: 0x02ea,
    bcdDevice: 0x0408,
    bConfigurationValue: 1,
    bInterfaceNumber: 0,
    bInterfaceClass: 255,
    bInterfaceSubClass: 71,
    bInterfaceProtocol: 208,
    bDeviceClass: 255,
    bDeviceSubClass: 71,
    bDeviceProtocol: 208,
    'USB Product Name': 'Controller',
    'USB Vendor Name': 'Microsoft',
    locationID: 0x14100000,
    IOPowerManagement: false,
    IOPersonalityPublisher: 'com.example.driverkit',
    OSBundleRequired: 'Root',
    'Device Speed': 2,
    IOCFPlugInTypes: 'none',
    kUSBDeviceClass: 'vendor',
    UserClientProperties: { IOClass: 'IOUserUserClient', IOUserClass: 'VendorSpecificUserClient' },
  });
}

/** A registry entry with ~200 properties: a USB device's keys plus configuration, statistics and blobs. */
function registryEntry(): OSDictionary {
  const d = personality();
  for (let i = 0; i < 60; i++) d.setObject(`Statistic${i}`, i * 1237);
  for (let i = 0; i < 40; i++) d.setObject(`Name${i}`, `interface-${i}-endpoint-${i * 3}`);
  for (let i = 0; i < 30; i++) d.setObject(`Flag${i}`, i % 2 === 0);
  for (let i = 0; i < 20; i++) d.setObject(`Descriptor${i}`, new Uint8Array(18).map((_, j) => (i * 7 + j) & 0xff));
  for (let i = 0; i < 20; i++) d.setObject(`Endpoint${i}`, { bEndpointAddress: 0x80 | i, bmAttributes: 2, wMaxPacketSize: 512, bInterval: 0 });
  return d;
}

/** The same data as plain JavaScript, for the baselines; JSON gets data as arrays of numbers. */
function plain(d: OSDictionary, forJson: boolean): unknown {
  const v = fromOSObject(d);
  if (!forJson) return v;
  return JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? [...x] : typeof x === 'bigint' ? x.toString() : x)));
}

function compare(label: string, d: OSDictionary): { ours: number; msgpackr: number } {
  const packr = new Packr({ useRecords: false });
  const js = plain(d, false);
  const json = plain(d, true);
  const bytes = OSSerializeBinary(d);
  console.log(`${label}: ${d.getCount()} top-level properties, ${bytes.length} bytes as OSSerializeBinary, ${packr.pack(js).length} as msgpack, ${JSON.stringify(json).length} as JSON`);
  // The goal's baseline is measured in batches alternating with ours (see measurePair); the others inform.
  const [ours, m] = measurePair(['OSSerializeBinary + OSUnserializeBinary', () => OSUnserializeBinary(OSSerializeBinary(d))], ['msgpackr pack + unpack', () => packr.unpack(packr.pack(js))]);
  const enc = measure('  encode only', () => OSSerializeBinary(d));
  const dec = measure('  decode only', () => OSUnserializeBinary(bytes));
  report(ours, [
    measure('JSON.stringify + JSON.parse', () => JSON.parse(JSON.stringify(json))),
    measure('v8.serialize + v8.deserialize', () => deserialize(serialize(js))),
    m,
  ]);
  console.log(`    (encode ${formatTime(enc.nsPerOp)}, decode ${formatTime(dec.nsPerOp)})`);
  return { ours: ours.nsPerOp, msgpackr: m.nsPerOp };
}

export function run(): void {
  console.log('OSSerialization');
  const p = compare('personality-like dictionary', personality());
  target('30-key personality encode+decode ≤ 15 µs', p.ours <= 15_000, formatTime(p.ours));
  target('within 1.5× of msgpackr', p.ours <= 1.5 * p.msgpackr, `${(p.ours / p.msgpackr).toFixed(2)}×`);
  figure({ figure: 'OSSerialization: 30-key personality encode + decode', value: p.ours / 1e3, unit: 'µs', baseline: 'msgpackr pack + unpack', baselineValue: p.msgpackr / 1e3, goal: '≤ 15 µs and ≤ 1.5× baseline', met: p.ours <= 15_000 && p.ours <= 1.5 * p.msgpackr });
  console.log();
  const r = compare('registry-like dictionary', registryEntry());
  target('within 1.5× of msgpackr', r.ours <= 1.5 * r.msgpackr, `${(r.ours / r.msgpackr).toFixed(2)}×`);
  figure({ figure: 'OSSerialization: 200-key registry entry encode + decode', value: r.ours / 1e3, unit: 'µs', baseline: 'msgpackr pack + unpack', baselineValue: r.msgpackr / 1e3, goal: '≤ 1.5× baseline', met: r.ours <= 1.5 * r.msgpackr });
  console.log();

  console.log('Property lists');
  const xml = readFileSync(fileURLToPath(new URL('../test/fixtures/Info.plist', import.meta.url)), 'utf8');
  const parse = measure('OSUnserializeXML (Apple-style Info.plist)', () => OSUnserializeXML(xml));
  report(parse, [measure('JSON.parse of the same data as JSON', ((s) => () => JSON.parse(s))(JSON.stringify(plain(OSUnserializeXML(xml) as OSDictionary, true))))]);
  target('Info.plist parse ≤ 1 ms', parse.nsPerOp <= 1e6, formatTime(parse.nsPerOp));
  figure({ figure: 'OSUnserializeXML: an Apple-style Info.plist', value: parse.nsPerOp / 1e3, unit: 'µs', goal: '≤ 1000 µs', met: parse.nsPerOp <= 1e6 });
}
