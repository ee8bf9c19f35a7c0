/**
 * Every parser that takes outside bytes, fed mutations of real inputs from ../shared/data (and of what
 * our own encoders write): truncations, bytes overwritten, 32-bit counts and lengths set huge, whole inputs
 * doubled, single bits flipped. A parser may refuse an input only with an IOReturnError naming what is
 * wrong; any other throw is a crash, and a parse that takes more than a second is a hang. `npm test`
 * runs a short pass (FUZZ_RUNS per parser, 300 by default); `npm run reliability` a long one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { IOMessageChannel, IOReturnError, OSDictionary, OSSerializeBinary, OSSerializeXML, OSUnserializeBinary, OSUnserializeXML, toOSDictionary } from '@driverkit/driverkit';
import { USBCapture, parseBOSDescriptor, parseConfigurationDescriptor, parseDeviceDescriptor } from '@driverkit/usbdriverkit';
import { HIDRecording, HIDReportProcessor, decodeReport, parseReportDescriptor } from '@driverkit/hiddriverkit';
import { CaptureFile } from '@driverkit/networkingdriverkit';
// Internal to the core (what the host runs on each user-client frame), so reached by path.
import { decodeCall, encodeCall, frame as callFrame } from '../../../packages/driverkit/src/userclient/IOUserClientCall';
import { decodeUserServerMessage, encodeUserServerMessage, kDriverToHostOps, kHostToDriverOps, type IOUserServerMessage } from '../../../packages/driverkit/src/ipc/IOUserServerProtocol';
import { record } from '../results.cjs';

const data = join(__dirname, '../../../../shared/data');
const runs = Number(process.env.FUZZ_RUNS ?? 300);
const files = (dir: string, pattern: RegExp) =>
  readdirSync(join(data, dir))
    .filter((f) => pattern.test(f))
    .map((f) => new Uint8Array(readFileSync(join(data, dir, f))));

const plist = toOSDictionary({ IOKitPersonalities: { Driver: { IOClass: 'IOUserService', idVendor: 0x05ac, big: 2n ** 63n, list: [true, 'x', new Uint8Array([1, 2, 3])] } }, nested: { a: { b: { c: [1, 2, 3] } } } });
const configuration = Uint8Array.from([9, 2, 32, 0, 1, 1, 0, 0x80, 50, 9, 4, 0, 0, 2, 0xff, 0, 0, 0, 7, 5, 0x81, 2, 64, 0, 0, 7, 5, 1, 2, 64, 0, 0]);

// XNU's binary format by hand (a u32 signature, then u32 items: type | length, bit 31 ending a
// collection): the shapes of CVE-2016-4656 and its kin, for the mutations to start from.
const words = (...w: number[]) => new Uint8Array(Uint32Array.from(w).buffer);
const kArray = 0x02000000;
const kDictionary = 0x01000000;
const kSymbol = 0x08000000;
const kObject = 0x0c000000;
const kEnd = 0x80000000;
const hostile = [
  // An array holding a back-reference to itself, and a dictionary whose one value refers to the dictionary (cycles).
  words(0xd3, kEnd | kArray | 1, kEnd | kObject | 0),
  words(0xd3, kEnd | kDictionary | 1, kSymbol | 2, 0x61, kEnd | kObject | 0),
  // Nesting 200 deep, past the 64 levels XNU allows.
  words(0xd3, ...Array.from({ length: 200 }, (_, i) => (i === 199 ? kEnd : 0) | kArray | 1), kEnd | kArray | 0),
  // A collection that claims 2^24 − 1 members and holds one.
  words(0xd3, kEnd | kArray | 0xffffff, kEnd | kArray | 0),
];
const deepXML = new TextEncoder().encode(`<plist version="1.0">${'<array>'.repeat(300)}${'</array>'.repeat(300)}</plist>`);

/** A stream of frames as the host's socket reads them: a u32 length, then an OSSerializeBinary dictionary. */
const framed = (...messages: OSDictionary[]) =>
  new Uint8Array(
    Buffer.concat(
      messages.map((m) => {
        const body = OSSerializeBinary(m);
        const h = Buffer.alloc(4);
        h.writeUInt32LE(body.length);
        return Buffer.concat([h, body]);
      }),
    ),
  );
const call = encodeCall(
  { selector: 3n, scalarInput: [1n, 2n ** 63n], structureInput: new Uint8Array([1, 2, 3, 4]), structureInputMemory: null, structureInputLength: 0, scalarOutputCount: 2, structureOutputMaximumSize: 4096, structureOutputMemory: null, asyncReference: [7n, 8n] },
  callFrame(),
);
call.setObject('op', 'call');
call.setObject('rid', 9);

/**
 * The host's reading of a byte stream from an app or a driver process: frames are cut and decoded by
 * IOMessageChannel (fed in two chunks, as a socket may split them), and each user-client call is read
 * by decodeCall. A refusal closes the channel with an IOReturnError; anything else is a crash.
 */
/** Frames read as a channel reads them (fed in two chunks), each handed to `decode`. */
function readFrames(bytes: Uint8Array, decode: (m: OSDictionary) => void): void {
  const stream = new PassThrough();
  const channel = new IOMessageChannel(stream);
  const half = bytes.length >> 1;
  let refusal: IOReturnError | null = null;
  channel.onMessage = (m) => {
    try {
      decode(m);
    } catch (e) {
      if (!(e instanceof IOReturnError)) throw e;
      refusal ??= e;
    }
  };
  channel.onClose = (e) => {
    if (e && !(e instanceof IOReturnError)) throw e;
    refusal ??= e;
  };
  stream.emit('data', Buffer.from(bytes.subarray(0, half)));
  stream.emit('data', Buffer.from(bytes.subarray(half)));
  if (refusal) throw refusal;
}

const readHostStream = (bytes: Uint8Array) => readFrames(bytes, (m) => m.getObject('op')?.isEqualTo('call') && decodeCall(m));

// What the host and a driver process send each other, as each side decodes it (both directions).
const userServerFrames = (...messages: IOUserServerMessage[]) => framed(...messages.map((m) => encodeUserServerMessage(m)));
const readUserServerStream = (bytes: Uint8Array) =>
  readFrames(bytes, (m) => {
    const op = m.getObject('op');
    decodeUserServerMessage(m, op?.isEqualTo('reply') || kHostToDriverOps.some((o) => op?.isEqualTo(o)) ? kHostToDriverOps : kDriverToHostOps);
  });

// Recorded HID devices: each mutation of a report is processed against its own descriptor.
const hidDevices = readdirSync(join(data, 'hid/wacom/recordings')).map((f) => HIDRecording.fromHidRecorder(readFileSync(join(data, 'hid/wacom/recordings', f), 'utf8')));
const hidParsed = hidDevices.map((d) => parseReportDescriptor(d.reportDescriptor));
const hidProcessors = hidParsed.map((d) => new HIDReportProcessor(d));
/** A report as [device index, bytes…], so a mutation of the first byte picks another device. */
const hidSeeds = hidDevices.flatMap((d, i) => d.reports.slice(0, 20).map((r) => Uint8Array.of(i, ...r.report)));
function processReport(b: Uint8Array): void {
  const i = (b[0] ?? 0) % hidDevices.length;
  const report = b.subarray(1);
  hidProcessors[i]!.process('input', report, 0n);
  decodeReport(hidParsed[i]!, 'input', report);
}

/** Each parser, and the real inputs its mutations start from. */
const parsers: Array<{ name: string; seeds: Uint8Array[]; parse: (bytes: Uint8Array) => unknown }> = [
  { name: 'OSUnserializeBinary', seeds: [OSSerializeBinary(plist), ...hostile], parse: (b) => OSUnserializeBinary(b) },
  { name: 'OSUnserializeXML', seeds: [new TextEncoder().encode(OSSerializeXML(plist)), deepXML, new Uint8Array(readFileSync(join(__dirname, '../../../samples/EduDriver/Info.plist')))], parse: (b) => OSUnserializeXML(Buffer.from(b).toString('latin1')) },
  { name: 'USB configuration descriptors', seeds: [configuration], parse: (b) => parseConfigurationDescriptor(b) },
  { name: 'USB device descriptors', seeds: [Uint8Array.from([18, 1, 0, 2, 0, 0, 0, 64, 0xac, 5, 0x50, 2, 1, 0, 1, 2, 3, 1])], parse: (b) => parseDeviceDescriptor(b) },
  { name: 'USB BOS descriptors', seeds: [Uint8Array.from([5, 15, 12, 0, 1, 7, 16, 2, 2, 0, 0, 0])], parse: (b) => parseBOSDescriptor(b) },
  { name: 'HID report descriptors', seeds: [...files('hid/libinput/descriptors', /\.rdesc$/).slice(0, 40), ...files('hid/hidapi', /rpt_desc$/).slice(0, 10)], parse: (b) => parseReportDescriptor(b) },
  { name: 'USB captures (usbmon, USBPcap)', seeds: files('usb/usbmon-tools', /\.pcap$/), parse: (b) => USBCapture.fromBytes(b) },
  { name: 'USB captures (USB 2.0 packets)', seeds: files('usb/packetry/captures/mouse', /\.pcap$/), parse: (b) => USBCapture.fromBytes(b) },
  { name: 'Ethernet captures (pcap, pcapng)', seeds: files('net/tcpdump', /\.pcap(ng)?$/).slice(0, 12), parse: (b) => CaptureFile.parse(b) },
  { name: 'HID input reports (recorded Wacom tablets)', seeds: hidSeeds, parse: processReport },
  {
    name: 'host and user-client frames',
    seeds: [framed(call), framed(toOSDictionary({ op: 'getProperties', rid: 1, service: 1 }), call), framed(toOSDictionary({ op: 'open', rid: 2, service: 1, type: 0 }))],
    parse: readHostStream,
  },
  {
    name: 'host and driver-process frames',
    seeds: [
      userServerFrames({ op: 'start', rid: 1, properties: plist, provider: toOSDictionary({ id: 4, name: 'nub', classes: ['IOService'], properties: {} }) }, { op: 'call', rid: 2, userClient: '9', call: encodeCall({ selector: 0n, scalarInput: [1n, 2n], structureInput: null, structureInputMemory: null, structureInputLength: 0, scalarOutputCount: 2, structureOutputMaximumSize: 0, structureOutputMemory: null, asyncReference: null }, callFrame()) }),
      userServerFrames({ op: 'providerCall', rid: 3, provider: 4n, method: 'AsyncIO', args: toOSDictionary({ length: 8 }) }, { op: 'completion', userClient: '9', call: 2, status: 0, data: [1n, 2n] }),
      userServerFrames({ op: 'stateItem', rid: 4, action: 'watch', watch: 1, names: ['a', 'b'] }, { op: 'reply', rid: 1, status: 0, result: plist }),
    ],
    parse: readUserServerStream,
  },
];

/** One change to an input. */
type Mutation = { op: 'truncate'; at: number } | { op: 'set'; at: number; value: number } | { op: 'huge'; at: number } | { op: 'double' } | { op: 'flip'; at: number; bit: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ op: fc.constant('huge' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('double' as const) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
);

function apply(seed: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = new Uint8Array(seed);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = 'at' in m ? m.at % b.length : 0;
    if (m.op === 'truncate') b = b.subarray(0, at);
    else if (m.op === 'set') b[at] = m.value;
    else if (m.op === 'huge') b.set([0xff, 0xff, 0xff, 0x7f].slice(0, b.length - at), at);
    else if (m.op === 'double') {
      const d = new Uint8Array(b.length * 2);
      d.set(b);
      d.set(b, b.length);
      b = d;
    } else b[at]! ^= 1 << m.bit;
  }
  return b;
}

test('the hostile shapes themselves are refused by name: cycles, nesting past 64 levels, counts beyond the input', () => {
  const refusals = hostile.map((b) => {
    try {
      OSUnserializeBinary(b);
      return 'accepted';
    } catch (e) {
      return e instanceof IOReturnError ? 'refused' : `crashed: ${e}`;
    }
  });
  expect(refusals).toEqual(['refused', 'refused', 'refused', 'refused']);
  expect(() => OSUnserializeXML(Buffer.from(deepXML).toString('latin1'))).toThrow(IOReturnError);
});

describe.each(parsers)('$name', ({ name, seeds, parse }) => {
  test(`survives mutations of ${seeds.length} real input(s): refusals are IOReturnErrors, nothing takes a second`, () => {
    expect(seeds.length).toBeGreaterThan(0);
    let refused = 0;
    let slowest = 0;
    const rss = process.memoryUsage.rss();
    let peak = rss;
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        const input = apply(seed, mutations);
        const started = performance.now();
        try {
          parse(input);
        } catch (e) {
          // The property fails (and fast-check shrinks the input) on anything but a refusal.
          if (!(e instanceof IOReturnError)) throw e;
          refused += 1;
        } finally {
          slowest = Math.max(slowest, performance.now() - started);
          peak = Math.max(peak, process.memoryUsage.rss());
        }
        if (performance.now() - started > 1000) throw new Error(`${name} took ${Math.round(performance.now() - started)} ms on a ${input.length}-byte input`);
      }),
      { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? 0x5eed) },
    );
    // A parser that believes a huge count or length would allocate for it: the process would grow by it.
    const growth = (peak - rss) / 2 ** 20;
    const figures = `0 crashes, 0 hangs (slowest ${slowest.toFixed(1)} ms), ${refused} refused with a named reason, RSS +${growth.toFixed(0)} MiB`;
    process.stdout.write(`fuzz ${name}: ${runs} inputs, ${figures}\n`);
    record({ area: 'fuzzing', check: name, count: runs, of: 'inputs', outcome: growth < 256 ? 'held' : 'FAILED', figures });
    expect(growth).toBeLessThan(256);
  });
});
