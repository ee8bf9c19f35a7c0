import type { HIDReportDescriptor, HIDReportInfo } from './HIDReportDescriptor';
import { readBits, signExtend } from './HIDBits';
import type { HIDReportClock, IOHIDElement, IOHIDReportType } from '../IOHIDElement';
import { kHIDPage_KeyboardOrKeypad, kHIDUsage_KeyboardErrorRollOver } from './HIDUsages';

interface VariableOp {
  element: IOHIDElement;
  /** Bit offset in the whole report, report-ID byte included. */
  bit: number;
  size: number;
  /** For a signed field that fits a 32-bit word: 32 − size, to sign-extend with two shifts; else 0. */
  signShift: number;
  signed: boolean;
  /** For a field within one 32-bit word (most are): its first byte, the bytes it spans, shift and mask; else bytes is 0. */
  byte: number;
  bytes: number;
  shift: number;
  mask: number;
}

interface ArrayOp {
  items: IOHIDElement[];
  bit: number;
  size: number;
  count: number;
  logicalMin: number;
  logicalMax: number;
  signed: boolean;
  /** Indexes into items of those the last report held (the first activeCount), to clear the ones the next leaves out. */
  active: Int32Array;
  activeCount: number;
  /** The same for the report being processed; swapped with active after it. */
  next: Int32Array;
  /** Per item, the generation of the last report that held it: no per-report array or search. */
  held: Uint32Array;
  generation: number;
  /** The value that means ErrorRollOver (keyboard usage 1) in this array, or NaN when it has none. */
  rollover: number;
  /** The last report's values, reused. */
  values: Float64Array;
}

interface Plan {
  info: HIDReportInfo;
  /** Stamps every variable element of the report at once (see IOHIDElement.clock). */
  clock: HIDReportClock;
  variables: VariableOp[];
  arrays: ArrayOp[];
}

// A switch, not an object keyed by the string: a keyed load per report showed in profiles.
const typeIndex = (type: IOHIDReportType): number => (type === 'input' ? 0 : type === 'output' ? 1 : 2);

/**
 * Applies reports to a descriptor's elements, as IOHIDInterface::processReport does: every element
 * the report carries gets its new value, its previous one and the report's timestamp; array items
 * become 1 while reported and 0 when a report leaves them out. The layout is compiled once, so a
 * report costs a few shifts per field.
 */
export class HIDReportProcessor {
  readonly #plans: (Plan | undefined)[] = [];
  readonly #numbered: boolean;
  #scratch = new Uint8Array(0);
  /** The elements whose value the last report changed (reused between reports). */
  readonly changed: IOHIDElement[] = [];

  constructor(descriptor: HIDReportDescriptor) {
    this.#numbered = descriptor.numbered;
    for (const info of descriptor.reports) {
      const head = info.reportID ? 8 : 0;
      // Another processor of the same descriptor may have clocked these elements already: share its clock.
      const clock = info.elements.find((e) => e.clock !== null)?.clock ?? { timestamp: 0n };
      const plan: Plan = { info, clock, variables: [], arrays: [] };
      for (const e of info.elements) {
        if (e.isConstant() || e.getReportSize() === 0) continue;
        if (e.arrayItems) {
          const rollover = e.arrayItems.findIndex((i) => i.usagePage === kHIDPage_KeyboardOrKeypad && i.usage === kHIDUsage_KeyboardErrorRollOver);
          plan.arrays.push({
            items: e.arrayItems,
            bit: head + e.bitOffset,
            size: e.getReportSize(),
            count: e.getReportCount(),
            logicalMin: e.getLogicalMin(),
            logicalMax: e.getLogicalMax(),
            signed: e.isSigned(),
            active: new Int32Array(e.getReportCount()),
            activeCount: 0,
            next: new Int32Array(e.getReportCount()),
            held: new Uint32Array(e.arrayItems.length),
            generation: 0,
            rollover: rollover < 0 ? NaN : e.getLogicalMin() + rollover,
            values: new Float64Array(e.getReportCount()),
          });
        } else {
          const size = e.getReportSize();
          const bit = head + e.bitOffset;
          const word = size + (bit & 7) <= 32 && size < 32;
          e.clock = clock;
          plan.variables.push({
            element: e,
            bit,
            size,
            signShift: e.isSigned() && size < 32 ? 32 - size : 0,
            signed: e.isSigned(),
            byte: bit >> 3,
            bytes: word ? ((bit & 7) + size + 7) >> 3 : 0,
            shift: bit & 7,
            mask: size === 31 ? 0x7fffffff : (1 << size) - 1,
          });
        }
      }
      this.#plans[typeIndex(info.type) * 256 + info.reportID] = plan;
    }
  }

  /** The report ID a report of this device starts with (0 when the device numbers none). */
  reportIDOf(data: Uint8Array): number {
    return this.#numbered ? (data[0] ?? 0) : 0;
  }

  /**
   * Updates the elements of the report `data` is; returns its layout, or null for a report the
   * descriptor does not define. A short report reads as if zero-padded, as Linux's hid-core does.
   */
  process(type: IOHIDReportType, data: Uint8Array, timestamp: bigint): HIDReportInfo | null {
    const plan = this.#plans[typeIndex(type) * 256 + this.reportIDOf(data)];
    const changed = this.changed;
    // Popped, not `length = 0`: that frees the backing store, and the next push allocates a new one
    // (~45 ns a report).
    while (changed.length !== 0) changed.pop();
    if (!plan) return null;
    if (data.length < plan.info.length) {
      if (this.#scratch.length < plan.info.length) this.#scratch = new Uint8Array(plan.info.length);
      this.#scratch.fill(0);
      this.#scratch.set(data);
      data = this.#scratch;
    }
    plan.clock.timestamp = timestamp;
    for (const op of plan.variables) {
      let raw: number;
      if (op.bytes === 0) raw = readBits(data, op.bit, op.size);
      else {
        // readBits, unrolled for the common case (this loop is the hot path of every report).
        const b = op.byte;
        let w = data[b]!;
        if (op.bytes > 1) w |= data[b + 1]! << 8;
        if (op.bytes > 2) w |= data[b + 2]! << 16;
        if (op.bytes > 3) w |= data[b + 3]! << 24;
        raw = (w >>> op.shift) & op.mask;
      }
      const v = op.signShift ? (raw << op.signShift) >> op.signShift : op.signed ? signExtend(raw, op.size) : raw;
      const e = op.element;
      const previous = e.value;
      e.previous = previous;
      e.value = v;
      if (v !== previous) changed.push(e);
    }
    for (const op of plan.arrays) this.#processArray(op, data, timestamp, changed);
    return plan.info;
  }

  #processArray(op: ArrayOp, data: Uint8Array, timestamp: bigint, changed: IOHIDElement[]): void {
    // ErrorRollOver in any slot (too many keys down to tell which) says nothing about the keys: the
    // field keeps its state, as Linux's hid-core does.
    // Byte-aligned 8-bit slots (keyboards' key codes) are read straight from the report.
    const bytewise = op.size === 8 && (op.bit & 7) === 0;
    for (let n = 0; n < op.count; n++) {
      const raw = bytewise ? data[(op.bit >> 3) + n]! : readBits(data, op.bit + n * op.size, op.size);
      const v = op.signed ? signExtend(raw, op.size) : raw;
      if (v === op.rollover) return;
      op.values[n] = v;
    }
    let generation = op.generation + 1;
    if (generation > 0xffffffff) {
      op.held.fill(0);
      generation = 1;
    }
    op.generation = generation;
    const held = op.held;
    const next = op.next;
    let nextCount = 0;
    for (let n = 0; n < op.count; n++) {
      const v = op.values[n]!;
      // Outside the logical range, or usage ID 0 (reserved on every page): no control.
      if (v < op.logicalMin || v > op.logicalMax) continue;
      const index = v - op.logicalMin;
      const item = op.items[index];
      if (item === undefined || item.usage === 0 || held[index] === generation) continue;
      held[index] = generation;
      const previous = item.value;
      item.previous = previous;
      item.value = 1;
      item.stamp = timestamp;
      if (previous !== 1) changed.push(item);
      next[nextCount++] = index;
    }
    const active = op.active;
    for (let k = 0; k < op.activeCount; k++) {
      const index = active[k]!;
      if (held[index] === generation) continue;
      const item = op.items[index]!;
      const previous = item.value;
      item.previous = previous;
      item.value = 0;
      item.stamp = timestamp;
      if (previous !== 0) changed.push(item);
    }
    op.active = next;
    op.next = active;
    op.activeCount = nextCount;
  }
}
