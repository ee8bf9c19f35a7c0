import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IOServiceHost, IOFixedFromInt, kIOFixedOne, toOSDictionary } from '@driverkit/driverkit';
import { IOHIDElement, IOHIDInterface, IOUserHIDEventDriver, IOUserHIDEventService, VirtualHIDDevice, kIOHIDElementCommitDirectionOut, kHIDPage_LEDs, kIOHIDEventTypeKey, kIOHIDEventTypeKeyboard, kIOHIDUsageKey, kIOHIDUsagePageKey, encodeReport, parseReportDescriptor, decodeHIDEvent, encodeHIDEvent, type IOHIDEvent } from './index';
import { register } from './plugin';
import { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
import { until } from '../test/helpers';

const data = join(__dirname, '../../../../shared/data/hid');
const fixture = join(__dirname, '../test/fixtures/hid-events');

function device(name: string, reportDescriptor: Uint8Array) {
  return new VirtualHIDDevice({ vendorId: 4617, productId: 1, versionNumber: 1, manufacturer: 'DK', product: name, serialNumber: null, transport: 'Virtual', locationID: 0x10, reportDescriptor }, { setReport: () => {} });
}

async function driverFor(host: IOServiceHost, product: string): Promise<IOUserHIDEventDriver> {
  return until(() => {
    const nub = host.nubs().find((n) => n instanceof IOHIDInterface && n.getName() === product);
    return nub && (host.clientsOf(nub).get('IODefaultMatchCategory') as IOUserHIDEventDriver | undefined);
  }, 5000, `a driver on ${product}`);
}

/** The events `send` makes the service dispatch, once there are `count` of them. */
async function collect(service: IOUserHIDEventDriver, send: () => void, count: number): Promise<IOHIDEvent[]> {
  const events: IOHIDEvent[] = [];
  const off = service.addEventListener((e) => events.push(e));
  send();
  await until(() => events.length >= count, 5000, `${count} events`).finally(off);
  return events;
}

describe('IOUserHIDEventDriver on virtual devices', () => {
  let host: IOServiceHost;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    host = new IOServiceHost({ mode: 'in-process' });
    stop = await register(host);
    host.addDriverBundle(fixture);
  });
  afterEach(async () => {
    await stop();
    await host.stop();
  });

  test('a boot keyboard: modifiers and keys become key-down and key-up events, in order', async () => {
    const kbd = device('Keyboard', readFileSync(join(data, 'packetry/keyboard-0/descriptor.bin')));
    const path = VirtualHIDBackend.of(host).add(kbd);
    const driver = await driverFor(host, 'Keyboard');
    const events = await collect(driver, () => {
      kbd.sendInput(Uint8Array.of(0x02, 0, 0x04, 0, 0, 0, 0, 0)); // left shift + a
      kbd.sendInput(Uint8Array.of(0x02, 0, 0x04, 0x05, 0, 0, 0, 0)); // + b
      kbd.sendInput(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0)); // all up
    }, 6);
    expect(events.map((e) => (e.type === 'keyboard' ? `${e.usagePage}:${e.usage.toString(16)}=${e.value}` : e.type))).toEqual(['7:e1=1', '7:4=1', '7:5=1', '7:e1=0', '7:4=0', '7:5=0']);
    VirtualHIDBackend.of(host).remove(path);
  });

  test('SetLED and SetLEDState send the output report; handleCopyMatchingEvent answers with a key\'s current state', async () => {
    const outputs: number[][] = [];
    const kbd = new VirtualHIDDevice(
      { vendorId: 4617, productId: 1, versionNumber: 1, manufacturer: 'DK', product: 'LEDs', serialNumber: null, transport: 'Virtual', locationID: 0x11, reportDescriptor: readFileSync(join(data, 'packetry/keyboard-0/descriptor.bin')) },
      { setReport: (_type, report) => void outputs.push([...report]) },
    );
    const path = VirtualHIDBackend.of(host).add(kbd);
    const driver = await driverFor(host, 'LEDs');
    await driver.SetLED(2, true); // Caps Lock
    await driver.SetLEDState(kHIDPage_LEDs, 1, true); // Num Lock
    expect(outputs.at(-2)!.at(-1)! & 0x03).toBe(0x02);
    expect(outputs.at(-1)!.at(-1)! & 0x03).toBe(0x03);
    await expect(driver.SetLEDState(0x0c, 0xe9, true)).rejects.toThrow(/no output 0xc:0xe9/);
    // The element way: setDataValue then commit sends the same output report.
    const scroll = driver.getElements().find((e) => e.getUsagePage() === kHIDPage_LEDs && e.getUsage() === 3)!;
    scroll.setDataValue(Uint8Array.of(1));
    expect([...scroll.getDataValue()]).toEqual([1]);
    await scroll.commit(kIOHIDElementCommitDirectionOut);
    expect(outputs.at(-1)!.at(-1)! & 0x07).toBe(0x07);
    expect(() => scroll.setDataValue(Uint8Array.of(1, 0))).toThrow(/2 bytes for a 1-bit element/);
    const key = toOSDictionary({ [kIOHIDEventTypeKey]: kIOHIDEventTypeKeyboard, [kIOHIDUsagePageKey]: 7, [kIOHIDUsageKey]: 4 });
    await collect(driver, () => kbd.sendInput(Uint8Array.of(0, 0, 0x04, 0, 0, 0, 0, 0)), 1);
    expect(driver.handleCopyMatchingEvent(key)).toMatchObject({ type: 'keyboard', usagePage: 7, usage: 4, value: 1 });
    await collect(driver, () => kbd.sendInput(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0)), 1);
    expect(driver.handleCopyMatchingEvent(key)).toMatchObject({ value: 0 });
    expect(() => driver.handleCopyMatchingEvent(toOSDictionary({ [kIOHIDEventTypeKey]: 2 }))).toThrow(/event type 2 is not one this driver keeps/);
    expect(() => driver.handleCopyMatchingEvent(toOSDictionary({ [kIOHIDEventTypeKey]: 3, [kIOHIDUsagePageKey]: 7, [kIOHIDUsageKey]: 0x300 }))).toThrow(/no key 7:0x300/);
    VirtualHIDBackend.of(host).remove(path);
  });

  test('conformsTo reads the device\'s usage pairs; a handleStart that declines fails Start before the interface is opened', async () => {
    const kbd = device('Pairs', readFileSync(join(data, 'packetry/keyboard-0/descriptor.bin')));
    const path = VirtualHIDBackend.of(host).add(kbd);
    const driver = await driverFor(host, 'Pairs');
    expect(driver.conformsTo(1, 6)).toBe(true);
    expect(driver.conformsTo(1, 2)).toBe(false);
    class Declines extends IOUserHIDEventService {
      override handleStart(): boolean {
        return false;
      }
    }
    const nub = host.nubs().find((n) => n instanceof IOHIDInterface && n.getName() === 'Pairs') as IOHIDInterface;
    const declines = new Declines();
    declines.setName('Declines');
    await expect(declines.startWithProvider(nub, null)).rejects.toThrow(/Declines\.handleStart declined Pairs/);
    // The driver that has the interface still gets its reports.
    const events = await collect(driver, () => kbd.sendInput(Uint8Array.of(0, 0, 0x04, 0, 0, 0, 0, 0)), 1);
    expect(events[0]).toMatchObject({ type: 'keyboard', usage: 4, value: 1 });
    VirtualHIDBackend.of(host).remove(path);
  });

  test('a keyboard report of ErrorRollOver (too many keys) changes no key, as in Linux hid-core', async () => {
    const kbd = device('Rollover', readFileSync(join(data, 'packetry/keyboard-0/descriptor.bin')));
    const path = VirtualHIDBackend.of(host).add(kbd);
    const driver = await driverFor(host, 'Rollover');
    const events = await collect(driver, () => {
      kbd.sendInput(Uint8Array.of(0, 0, 0x04, 0, 0, 0, 0, 0)); // a
      kbd.sendInput(Uint8Array.of(0, 0, 1, 1, 1, 1, 1, 1)); // ErrorRollOver in every slot
      kbd.sendInput(Uint8Array.of(0, 0, 0x04, 0x05, 0, 0, 0, 0)); // a still down, b
      kbd.sendInput(new Uint8Array(8));
    }, 4);
    expect(events.map((e) => (e.type === 'keyboard' ? `${e.usage.toString(16)}=${e.value}` : e.type))).toEqual(['4=1', '5=1', '4=0', '5=0']);
    VirtualHIDBackend.of(host).remove(path);
  });

  test('a mouse: motion and buttons become pointer events, the wheel a scroll event', async () => {
    const bytes = readFileSync(join(data, 'packetry/mouse/descriptor.bin'));
    const mouse = device('Mouse', bytes);
    const d = parseReportDescriptor(bytes);
    const input = d.reports.find((r) => r.type === 'input')!;
    const el = (page: number, usage: number) => input.elements.find((e) => e.getUsagePage() === page && e.getUsage() === usage)!;
    const path = VirtualHIDBackend.of(host).add(mouse);
    const driver = await driverFor(host, 'Mouse');
    const report = (x: number, y: number, left: number, wheel: number) => encodeReport(d, 'input', 1, new Map([[el(1, 0x30), x], [el(1, 0x31), y], [el(9, 1), left], [el(1, 0x38), wheel]]));
    const events = await collect(driver, () => {
      mouse.sendInput(report(-5, 7, 0, 0));
      mouse.sendInput(report(0, 0, 1, 0));
      mouse.sendInput(report(0, 0, 1, -1));
    }, 3);
    expect(events).toEqual([
      expect.objectContaining({ type: 'relativePointer', dx: IOFixedFromInt(-5), dy: IOFixedFromInt(7), buttonState: 0 }),
      expect.objectContaining({ type: 'relativePointer', dx: 0, dy: 0, buttonState: 1 }),
      expect.objectContaining({ type: 'scroll', dx: 0, dy: IOFixedFromInt(-1) }),
    ]);
    // What apps receive is the same event, through 16 values.
    for (const e of events) expect(decodeHIDEvent(encodeHIDEvent(e))).toEqual(e);
    VirtualHIDBackend.of(host).remove(path);
  });

  test('a pen tablet (a real descriptor): the stylus becomes stylus events scaled to 0…1', async () => {
    const bytes = readFileSync(join(data, 'libinput/descriptors/libinput-issue839-0003-28BD-0905-0.rdesc'));
    const pen = device('Pen', bytes);
    const d = parseReportDescriptor(bytes);
    const input = d.reports.find((r) => r.type === 'input' && r.elements.some((e) => e.getUsagePage() === 0x0d && e.getUsage() === 0x42))!;
    const el = (page: number, usage: number) => input.elements.find((e) => e.getUsagePage() === page && e.getUsage() === usage)!;
    const x = el(1, 0x30);
    const path = VirtualHIDBackend.of(host).add(pen);
    const driver = await driverFor(host, 'Pen');
    const values = new Map([[x, x.getLogicalMax()], [el(1, 0x31), 0], [el(0x0d, 0x42), 1], [el(0x0d, 0x32), 1], [el(0x0d, 0x30), el(0x0d, 0x30).getLogicalMax()]]);
    const events = await collect(driver, () => pen.sendInput(encodeReport(d, 'input', input.reportID, values)), 1);
    expect(events[0]).toMatchObject({ type: 'stylus', stylus: { x: kIOFixedOne, y: 0, tipPressure: kIOFixedOne, inRange: true, buttonState: 1 } });
    VirtualHIDBackend.of(host).remove(path);
  });

  test('a game controller (the PS5 controller\'s real descriptor): sticks, triggers, hat and buttons become extended game controller events', async () => {
    const bytes = readFileSync(join(data, 'packetry/ps5/descriptor.bin'));
    const pad = device('Gamepad', bytes);
    const d = parseReportDescriptor(bytes);
    const input = d.reports.find((r) => r.type === 'input' && r.reportID === 1)!;
    const el = (page: number, usage: number) => input.elements.find((e) => e.getUsagePage() === page && e.getUsage() === usage)!;
    const path = VirtualHIDBackend.of(host).add(pad);
    const driver = await driverFor(host, 'Gamepad');
    // Sticks at rest mid-range; the hat in its null state (8, outside its 0…7: centred), written
    // as the device sends it (byte 8, bits 0-3; encodeReport keeps to the logical range).
    const rest = new Map([[el(1, 0x30), 128], [el(1, 0x31), 128], [el(1, 0x32), 128], [el(1, 0x35), 128]]);
    const centred = (r: Uint8Array) => {
      r[8] = (r[8]! & 0xf0) | 8;
      return r;
    };
    const pressed = new Map([...rest, [el(1, 0x30), 255], [el(1, 0x31), 0], [el(1, 0x33), 255], [el(1, 0x39), 1], [el(9, 2), 1], [el(9, 5), 1], [el(9, 9), 1], [el(9, 13), 1]]);
    const events = await collect(driver, () => {
      pad.sendInput(centred(encodeReport(d, 'input', 1, rest)));
      pad.sendInput(centred(encodeReport(d, 'input', 1, rest))); // no change: no event
      pad.sendInput(encodeReport(d, 'input', 1, pressed));
    }, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(2);
    const mid = Math.round((128 / 255) * 2 * kIOFixedOne - kIOFixedOne);
    expect(events[0]).toMatchObject({ type: 'gameController', extended: true, controller: { joystickX: mid, joystickY: mid, dpadUp: 0, dpadRight: 0, faceA: 0, shoulderL2: 0 } });
    expect(events[1]).toMatchObject({
      type: 'gameController',
      extended: true,
      // Hat position 1 is up and right; Rx is the left trigger's travel.
      controller: { joystickX: kIOFixedOne, joystickY: -kIOFixedOne, shoulderL2: kIOFixedOne, dpadUp: kIOFixedOne, dpadRight: kIOFixedOne, dpadDown: 0, faceB: kIOFixedOne, faceA: 0, shoulderL1: kIOFixedOne, thumbstickButtonLeft: true, thumbstickButtonRight: false, bottomM1: kIOFixedOne },
    });
    // It is not a pointer: the sticks' X and Y made no pointer events.
    expect(events.every((e) => e.type === 'gameController')).toBe(true);
    // What apps receive is the same event, through 16 values.
    for (const e of events) expect(decodeHIDEvent(encodeHIDEvent(e))).toEqual(e);
    VirtualHIDBackend.of(host).remove(path);
  });

  test('the game controller dispatchers refuse values outside their ranges, by name', async () => {
    const bytes = readFileSync(join(data, 'packetry/ps5/descriptor.bin'));
    const path = VirtualHIDBackend.of(host).add(device('Gamepad', bytes));
    const driver = await driverFor(host, 'Gamepad');
    const zeros = new Array(16).fill(0) as number[];
    // Positional, as a port calls them; typed loosely here to pass bad values.
    const call = (name: string, ...args: unknown[]) => (driver as unknown as Record<string, (...a: unknown[]) => void>)[name]!(...args);
    const events = await collect(driver, () => call('dispatchStandardGameControllerEvent', 5n, ...zeros, false, true, 0), 1);
    expect(events[0]).toMatchObject({ type: 'gameController', timestamp: 5n, extended: false, controller: { thumbstickButtonRight: true } });
    const bad = [...zeros];
    bad[4] = -1; // faceX below 0
    expect(() => call('dispatchStandardGameControllerEvent', 6n, ...bad, false, false)).toThrow(/game controller faceX is -1, outside 0…1/);
    bad[4] = 0;
    bad[13] = -2 * kIOFixedOne; // joystickY
    expect(() => call('dispatchExtendedGameControllerEvent', 7n, ...bad, false, false, 0, 0, 0, 0, 0)).toThrow(/joystickY is -131072, outside −1…1/);
    VirtualHIDBackend.of(host).remove(path);
  });
});

test('a signed element\'s data value is its report bits, two\'s complement both ways', () => {
  const d = parseReportDescriptor(readFileSync(join(data, 'packetry/mouse/descriptor.bin')), 'lenient');
  const all: IOHIDElement[] = [];
  const walk = (e: IOHIDElement) => e.getChildElements().forEach((c) => (all.push(c), walk(c)));
  walk(d.root);
  const x = all.find((e) => e.getUsagePage() === 1 && e.getUsage() === 0x30 && e.getLogicalMin() < 0)!;
  x.setValue(-3);
  const bytes = x.getDataValue();
  expect(bytes.length).toBe(Math.ceil(x.getReportSize() / 8));
  expect(bytes[0]).toBe(0xfd);
  x.setDataValue(Uint8Array.of(0xfe, ...new Array(bytes.length - 1).fill(0xff)));
  expect(x.getValue()).toBe(-2);
  return expect(x.commit(1)).rejects.toThrow(/does not belong to an interface/);
});
