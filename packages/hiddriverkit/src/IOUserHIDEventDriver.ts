import { IOFixedFromDouble, IOFixedFromInt, IOReturnError, OSNumber, kIOReturnBadArgument, kIOReturnNotFound, kIOReturnUnsupported, type IOService, type OSDictionary } from '@driverkit/driverkit';
import { kIOHIDElementTypeCollection, kIOHIDElementTypeOutput, kIOHIDValueScaleTypeCalibrated, type IOHIDElement } from './IOHIDElement';
import { kIOHIDElementCommitDirectionOut } from './IOHIDInterface';
import * as U from './descriptor/HIDUsages';
import { IOHIDDigitizerCollection, kIOHIDDigitizerCollectionTypeFinger, kIOHIDDigitizerCollectionTypeStylus } from './IOHIDDigitizerCollection';
import { IOUserHIDEventService } from './IOUserHIDEventService';
import { kGameControllerFixedFields, type IOHIDEvent, type IOHIDGameControllerData } from './IOHIDEvent';
import { kIOHIDEventTypeKey, kIOHIDEventTypeKeyboard, kIOHIDUsageKey, kIOHIDUsagePageKey } from './IOHIDEventService';

/** One pointer: its axes and buttons, grouped by the report that carries them. */
interface Pointer {
  x?: IOHIDElement;
  y?: IOHIDElement;
  buttons: IOHIDElement[];
  buttonState: number;
}

/** A game controller's elements, each filed under the field of the event it feeds. */
interface GameController {
  slots: Map<IOHIDElement, GameControllerSlot>;
  hat: IOHIDElement | null;
  extended: boolean;
  last: string;
}
type GameControllerSlot = Exclude<keyof IOHIDGameControllerData, 'thumbstickButtonLeft' | 'thumbstickButtonRight'> | 'thumbstickButtonLeft' | 'thumbstickButtonRight';

/**
 * Buttons 1…16 of a gamepad, in order: A, B, X, Y, L1, R1, L2, R2, the thumbstick buttons, then the
 * optional L4, R4 and M1…M4. HID numbers buttons without naming them; this order (ours) is the
 * common one, and a driver for a controller that numbers differently overrides {@link
 * IOUserHIDEventDriver.gameControllerSlot}.
 */
const GAMEPAD_BUTTONS: readonly GameControllerSlot[] = ['faceA', 'faceB', 'faceX', 'faceY', 'shoulderL1', 'shoulderR1', 'shoulderL2', 'shoulderR2', 'thumbstickButtonLeft', 'thumbstickButtonRight', 'shoulderL4', 'shoulderR4', 'bottomM1', 'bottomM2', 'bottomM3', 'bottomM4'];
const GAMEPAD_DESKTOP: ReadonlyMap<number, GameControllerSlot> = new Map([
  [U.kHIDUsage_GD_X, 'joystickX'],
  [U.kHIDUsage_GD_Y, 'joystickY'],
  [U.kHIDUsage_GD_Z, 'joystickZ'],
  [U.kHIDUsage_GD_Rz, 'joystickRz'],
  // Analog triggers.
  [U.kHIDUsage_GD_Rx, 'shoulderL2'],
  [U.kHIDUsage_GD_Ry, 'shoulderR2'],
  [U.kHIDUsage_GD_DPadUp, 'dpadUp'],
  [U.kHIDUsage_GD_DPadDown, 'dpadDown'],
  [U.kHIDUsage_GD_DPadRight, 'dpadRight'],
  [U.kHIDUsage_GD_DPadLeft, 'dpadLeft'],
]);
/** A hat switch's eight positions, clockwise from up: [up, right, down, left] pressed. */
const HAT: readonly (readonly [number, number, number, number])[] = [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [1, 0, 0, 1]];
const ONE = 0x10000;
type Fixed16 = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
type Fixed6 = [number, number, number, number, number, number];

const TRANSDUCERS = [U.kHIDUsage_Dig_Stylus, U.kHIDUsage_Dig_Puck, U.kHIDUsage_Dig_Finger];

/**
 * Mirrors `IOUserHIDEventDriver`: the generic event driver. Start sorts the interface's elements into
 * keyboards, relative and absolute pointers, scroll wheels, digitizer transducers and LEDs, and
 * refuses a device with none; each report then becomes keyboard, pointer, scroll and digitizer
 * events. Subclass it to change one kind of handling (override `handleKeyboardReport`, …).
 */
export class IOUserHIDEventDriver extends IOUserHIDEventService {
  static override readonly className: string = 'IOUserHIDEventDriver';
  readonly #keyboard = new Set<IOHIDElement>();
  readonly #relative = new Map<number, Pointer>();
  readonly #absolute = new Map<number, Pointer>();
  readonly #scroll: IOHIDElement[] = [];
  readonly #digitizers: IOHIDDigitizerCollection[] = [];
  readonly #leds: IOHIDElement[] = [];
  #gameController: GameController | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    if (!this.parseElements(this.getElements())) {
      throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()} has no keyboard, pointer, scroll, digitizer or game controller elements`);
    }
    this.RegisterService();
  }

  /** Mirrors `parseElements`: true when any element is one this driver handles. */
  parseElements(elements: readonly IOHIDElement[]): boolean {
    let found = false;
    for (const e of elements) {
      if (e.getType() === kIOHIDElementTypeCollection || e.isConstant() || e.isArray()) continue;
      if (e.getType() === kIOHIDElementTypeOutput) {
        found = this.parseLEDElement(e) || found;
        continue;
      }
      if (e.fields.reportType !== 'input') continue;
      // A gamepad's sticks are X and Y too: its elements are not a pointer's.
      if (e.conformsTo(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_GamePad) || e.conformsTo(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Joystick)) {
        found = this.parseGameControllerElement(e) || found;
        continue;
      }
      found = this.parseDigitizerElement(e) || this.parseKeyboardElement(e) || this.parseScrollElement(e) || this.parsePointerElement(e) || found;
    }
    return found;
  }

  /** Mirrors `parseKeyboardElement`: keys (page 7) and consumer buttons. */
  parseKeyboardElement(e: IOHIDElement): boolean {
    const page = e.getUsagePage();
    const usage = e.getUsage();
    const key = page === U.kHIDPage_KeyboardOrKeypad && usage >= U.kHIDUsage_KeyboardA && usage <= U.kHIDUsage_KeyboardRightGUI;
    const consumer = page === U.kHIDPage_Consumer && e.getLogicalMax() === 1 && !e.isRelative() && usage !== 0;
    if (!key && !consumer) return false;
    this.#keyboard.add(e);
    return true;
  }

  /** Mirrors `parseScrollElement`: the wheel and AC Pan, relative. */
  parseScrollElement(e: IOHIDElement): boolean {
    const wheel = e.getUsagePage() === U.kHIDPage_GenericDesktop && e.getUsage() === U.kHIDUsage_GD_Wheel;
    const pan = e.getUsagePage() === U.kHIDPage_Consumer && e.getUsage() === U.kHIDUsage_Csmr_ACPan;
    if (!(wheel || pan) || !e.isRelative()) return false;
    this.#scroll.push(e);
    return true;
  }

  /** Mirrors `parsePointerElement`: X, Y and buttons of a mouse or pointer, relative or absolute. */
  parsePointerElement(e: IOHIDElement): boolean {
    const page = e.getUsagePage();
    const usage = e.getUsage();
    const axis = page === U.kHIDPage_GenericDesktop && (usage === U.kHIDUsage_GD_X || usage === U.kHIDUsage_GD_Y);
    const button = page === U.kHIDPage_Button && usage !== 0;
    if (!axis && !button) return false;
    if (button && !(e.conformsTo(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Mouse) || e.conformsTo(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Pointer))) return false;
    const pointers = axis && !e.isRelative() ? this.#absolute : this.#relative;
    const id = e.getReportID();
    const p = pointers.get(id) ?? { buttons: [], buttonState: 0 };
    pointers.set(id, p);
    if (button) p.buttons.push(e);
    else if (usage === U.kHIDUsage_GD_X) p.x ??= e;
    else p.y ??= e;
    return true;
  }

  /** Mirrors `parseDigitizerElement`: climbs to the element's transducer collection and files it there. */
  parseDigitizerElement(e: IOHIDElement): boolean {
    let transducer: IOHIDElement | null = null;
    let application: IOHIDElement | null = null;
    for (let p = e.getParentElement(); p; p = p.getParentElement()) {
      if (p.getType() !== kIOHIDElementTypeCollection || p.getUsagePage() !== U.kHIDPage_Digitizer) continue;
      if (!transducer && TRANSDUCERS.includes(p.getUsage())) transducer = p;
      application = p;
    }
    const owner = transducer ?? application;
    if (!owner) return false;
    let c = this.#digitizers.find((d) => d.collection === owner);
    if (!c) {
      const finger = owner.getUsage() === U.kHIDUsage_Dig_Finger || (!transducer && [U.kHIDUsage_Dig_TouchScreen, U.kHIDUsage_Dig_TouchPad].includes(owner.getUsage()));
      c = new IOHIDDigitizerCollection(finger ? kIOHIDDigitizerCollectionTypeFinger : kIOHIDDigitizerCollectionTypeStylus, owner);
      this.#digitizers.push(c);
    }
    c.addElement(e);
    return true;
  }

  /**
   * Files one element of a gamepad or joystick collection (Apple's `processGameControllerElements`
   * sorts them the same way): buttons by {@link gameControllerSlot}, sticks (X, Y, Z, Rz), analog
   * triggers (Rx, Ry), a hat switch or D-pad usages.
   */
  parseGameControllerElement(e: IOHIDElement): boolean {
    const c = (this.#gameController ??= { slots: new Map(), hat: null, extended: false, last: '' });
    if (e.getUsagePage() === U.kHIDPage_GenericDesktop && e.getUsage() === U.kHIDUsage_GD_Hatswitch) {
      c.hat ??= e;
      return true;
    }
    const slot = this.gameControllerSlot(e);
    if (!slot) return false;
    c.slots.set(e, slot);
    // The extended gamepad has two sticks and the optional buttons.
    if (slot === 'joystickZ' || slot === 'joystickRz' || kGameControllerFixedFields.indexOf(slot as never) >= 16 || slot.startsWith('thumbstick')) c.extended = true;
    return true;
  }

  /** Which field of the game controller event an element feeds, or null for none. */
  gameControllerSlot(e: IOHIDElement): GameControllerSlot | null {
    const usage = e.getUsage();
    if (e.getUsagePage() === U.kHIDPage_Button) return GAMEPAD_BUTTONS[usage - 1] ?? null;
    if (e.getUsagePage() === U.kHIDPage_GenericDesktop) return GAMEPAD_DESKTOP.get(usage) ?? null;
    return null;
  }

  /** Mirrors `parseLEDElement`. */
  parseLEDElement(e: IOHIDElement): boolean {
    if (e.getUsagePage() !== U.kHIDPage_LEDs) return false;
    this.#leds.push(e);
    return false; // LEDs alone do not make a device this driver serves.
  }

  override handleReport(timestamp: bigint, _report: Uint8Array, _reportLength: number, _type: number, reportID: number, changed: readonly IOHIDElement[] = []): void {
    this.handleKeyboardReport(timestamp, reportID, changed);
    this.handleRelativePointerReport(timestamp, reportID);
    this.handleAbsolutePointerReport(timestamp, reportID);
    this.handleScrollReport(timestamp, reportID);
    this.handleDigitizerReport(timestamp, reportID);
    this.handleGameControllerReport(timestamp, reportID);
  }

  /**
   * A report that changed the controller's state becomes one game controller event: the extended
   * one (with the optional buttons) for a controller with two sticks, else the standard one. Axes are
   * as the device reports them (HID's Y grows downward).
   */
  handleGameControllerReport(timestamp: bigint, _reportID: number): void {
    const c = this.#gameController;
    if (!c) return;
    let carried = c.hat?.getTimeStamp() === timestamp;
    const d = { dpadUp: 0, dpadDown: 0, dpadLeft: 0, dpadRight: 0, faceX: 0, faceY: 0, faceA: 0, faceB: 0, shoulderL1: 0, shoulderR1: 0, shoulderL2: 0, shoulderR2: 0, joystickX: 0, joystickY: 0, joystickZ: 0, joystickRz: 0, thumbstickButtonLeft: false, thumbstickButtonRight: false, shoulderL4: 0, shoulderR4: 0, bottomM1: 0, bottomM2: 0, bottomM3: 0, bottomM4: 0 } satisfies IOHIDGameControllerData as IOHIDGameControllerData;
    for (const [e, slot] of c.slots) {
      if (e.getTimeStamp() === timestamp) carried = true;
      const lmin = e.getLogicalMin();
      const lmax = e.getLogicalMax();
      const t = lmax > lmin ? Math.min(1, Math.max(0, (e.value - lmin) / (lmax - lmin))) : 0;
      if (slot === 'thumbstickButtonLeft' || slot === 'thumbstickButtonRight') d[slot] ||= t > 0;
      else if (slot.startsWith('joystick')) d[slot] = Math.round((t * 2 - 1) * ONE);
      // A trigger may be a button and an axis at once: the harder press counts.
      else d[slot] = Math.max(d[slot], Math.round(t * ONE));
    }
    if (c.hat) {
      const position = c.hat.value - c.hat.getLogicalMin();
      // Outside the logical range is the hat's null state: centred.
      const pressed = c.hat.value <= c.hat.getLogicalMax() && position >= 0 ? HAT[position] : undefined;
      if (pressed) [d.dpadUp, d.dpadRight, d.dpadDown, d.dpadLeft] = [pressed[0] * ONE || d.dpadUp, pressed[1] * ONE || d.dpadRight, pressed[2] * ONE || d.dpadDown, pressed[3] * ONE || d.dpadLeft];
    }
    if (!carried) return;
    const key = `${kGameControllerFixedFields.map((f) => d[f]).join(',')},${d.thumbstickButtonLeft},${d.thumbstickButtonRight}`;
    if (key === c.last) return;
    c.last = key;
    const f = kGameControllerFixedFields.map((k) => d[k]);
    if (c.extended) this.dispatchExtendedGameControllerEventWithOptionalButtons(timestamp, ...(f.slice(0, 16) as Fixed16), d.thumbstickButtonLeft, d.thumbstickButtonRight, ...(f.slice(16) as Fixed6), 0);
    else this.dispatchStandardGameControllerEvent(timestamp, ...(f.slice(0, 16) as Fixed16), false, false, 0);
  }

  /** Mirrors `handleKeyboardReport`: a keyboard event for each key whose state the report changed. */
  handleKeyboardReport(timestamp: bigint, _reportID: number, changed: readonly IOHIDElement[]): void {
    if (this.#keyboard.size === 0) return;
    for (const e of changed) {
      if (this.#keyboard.has(e)) this.dispatchKeyboardEvent(timestamp, e.getUsagePage(), e.getUsage(), e.value, 0, true);
    }
  }

  /** Mirrors `handleRelativePointerReport`: motion or a button change becomes one pointer event. */
  handleRelativePointerReport(timestamp: bigint, reportID: number): void {
    const p = this.#relative.get(reportID);
    if (!p || !this.#carried(p, timestamp)) return;
    const dx = p.x?.value ?? 0;
    const dy = p.y?.value ?? 0;
    const buttons = this.#buttons(p);
    if (dx === 0 && dy === 0 && buttons === p.buttonState) return;
    p.buttonState = buttons;
    this.dispatchRelativePointerEvent(timestamp, IOFixedFromInt(dx), IOFixedFromInt(dy), buttons, 0, true);
  }

  /** Mirrors `handleAbsolutePointerReport`: the position scaled to 0…1. */
  handleAbsolutePointerReport(timestamp: bigint, reportID: number): void {
    const p = this.#absolute.get(reportID);
    if (!p || !this.#carried(p, timestamp)) return;
    const [x, y] = [p.x, p.y].map((a) => (a ? IOFixedFromDouble(a.getScaledValue(kIOHIDValueScaleTypeCalibrated)) : 0));
    p.buttonState = this.#buttons(p);
    this.dispatchAbsolutePointerEvent(timestamp, x!, y!, p.buttonState, 0, true);
  }

  /** Mirrors `handleScrollReport`: wheel (dy) and pan (dx) in detents. */
  handleScrollReport(timestamp: bigint, reportID: number): void {
    let dx = 0;
    let dy = 0;
    if (this.#scroll.length === 0) return;
    for (const e of this.#scroll) {
      if (e.getReportID() !== reportID || e.getTimeStamp() !== timestamp || e.value === 0) continue;
      if (e.getUsagePage() === U.kHIDPage_Consumer) dx += e.value;
      else dy += e.value;
    }
    if (dx || dy) this.dispatchRelativeScrollWheelEvent(timestamp, IOFixedFromInt(dx), IOFixedFromInt(dy), 0, 0, true);
  }

  /** Mirrors `handleDigitizerReport`: each transducer the report carried becomes a stylus or touch event. */
  handleDigitizerReport(timestamp: bigint, reportID: number): void {
    for (let i = 0; i < this.#digitizers.length; i++) {
      const c = this.#digitizers[i]!;
      if (!c.hasPosition() || !c.updatedBy(timestamp, reportID)) continue;
      if (c.type === kIOHIDDigitizerCollectionTypeFinger) this.dispatchDigitizerTouchEvent(timestamp, [c.touchData(i)]);
      else this.dispatchDigitizerStylusEvent(timestamp, c.stylusData(i));
    }
  }

  /** The transducers Start found (Apple's `createEventForDigitizerCollection` works from these). */
  get digitizerCollections(): readonly IOHIDDigitizerCollection[] {
    return this.#digitizers;
  }

  /**
   * Mirrors `SetLEDState(usagePage, usage, on)`: sets an output element (an LED on the LED page, or
   * any other page's indicator) and sends its output report.
   */
  override async SetLEDState(usagePage: number, usage: number, on: boolean): Promise<void> {
    const led =
      usagePage === U.kHIDPage_LEDs
        ? this.#leds.find((e) => e.getUsage() === usage)
        : this.getElements().find((e) => e.getType() === kIOHIDElementTypeOutput && e.getUsagePage() === usagePage && e.getUsage() === usage);
    if (!led) throw new IOReturnError(kIOReturnNotFound, `the device has no output 0x${usagePage.toString(16)}:0x${usage.toString(16)}${usagePage === U.kHIDPage_LEDs ? ' (LED)' : ''}`);
    led.setValue(on ? 1 : 0);
    await this.hidInterface!.commitElements([led], kIOHIDElementCommitDirectionOut);
  }

  /**
   * Mirrors `handleCopyMatchingEvent(matching, &event)`: for `EventType` keyboard (3) and a key's
   * `UsagePage`/`Usage`, the keyboard event of that key's current state (value 1 while held), stamped
   * with the report that last carried it. A key this keyboard does not have is kIOReturnNotFound.
   */
  override handleCopyMatchingEvent(matching: OSDictionary): IOHIDEvent {
    const n = (k: string) => {
      const v = matching.getObject(k);
      return v instanceof OSNumber ? Number(v.unsigned32BitValue()) : null;
    };
    const type = n(kIOHIDEventTypeKey);
    const usagePage = n(kIOHIDUsagePageKey);
    const usage = n(kIOHIDUsageKey);
    if (type !== kIOHIDEventTypeKeyboard) throw new IOReturnError(kIOReturnUnsupported, `handleCopyMatchingEvent: event type ${type ?? 'none'} is not one this driver keeps (keyboard, 3)`);
    if (usagePage === null || usage === null) throw new IOReturnError(kIOReturnBadArgument, 'handleCopyMatchingEvent: a keyboard event is matched by UsagePage and Usage');
    const key = [...this.#keyboard].find((e) => e.getUsagePage() === usagePage && e.getUsage() === usage);
    if (!key) throw new IOReturnError(kIOReturnNotFound, `handleCopyMatchingEvent: the keyboard has no key ${usagePage}:0x${usage.toString(16)}`);
    return { type: 'keyboard', timestamp: key.getTimeStamp(), usagePage, usage, value: key.getValue(), options: 0, repeat: false };
  }

  #carried(p: Pointer, timestamp: bigint): boolean {
    return (p.x?.getTimeStamp() ?? p.y?.getTimeStamp() ?? p.buttons[0]?.getTimeStamp()) === timestamp;
  }

  #buttons(p: Pointer): number {
    let mask = 0;
    for (const b of p.buttons) if (b.value && b.getUsage() <= 32) mask |= 1 << (b.getUsage() - 1);
    return mask >>> 0;
  }
}
