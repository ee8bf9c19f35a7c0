import type { HIDReportDescriptor, HIDReportInfo } from './HIDReportDescriptor';
import { readBits, signExtend } from './HIDBits';
import type { IOHIDElement, IOHIDReportType } from './IOHIDElement';
import { kHIDPage_KeyboardOrKeypad, kHIDUsage_KeyboardErrorRollOver } from '../events/HIDUsages';

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
  /** The items reported by the last report, to clear the ones the next one leaves out. */
  active: IOHIDElement[];
  /** The value that means ErrorRollOver (keyboard usage 1) in this array, or NaN when it has none. */
  rollover: number;
  /** The last report's values, reused. */
  values: Float64Array;
}

interface Plan {
  info: HIDReportInfo;
  variables: VariableOp[];
  arrays: ArrayOp[];
}

const TYPES: Record<IOHIDReportType, number> = { input: 0, output: 1, feature: 2 };

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
      const plan: Plan = { info, variables: [], arrays: [] };
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
            active: [],
            rollover: rollover < 0 ? NaN : e.getLogicalMin() + rollover,
            values: new Float64Array(e.getReportCount()),
          });
        } else {
          const size = e.getReportSize();
          const bit = head + e.bitOffset;
          const word = size + (bit & 7) <= 32 && size < 32;
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
      this.#plans[TYPES[info.type] * 256 + info.reportID] = plan;
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
    const plan = this.#plans[TYPES[type] * 256 + this.reportIDOf(data)];
    const changed = this.changed;
    changed.length = 0;
    if (!plan) return null;
    if (data.length < plan.info.length) {
      if (this.#scratch.length < plan.info.length) this.#scratch = new Uint8Array(plan.info.length);
      this.#scratch.fill(0);
      this.#scratch.set(data);
      data = this.#scratch;
    }
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
      e.previous = e.value;
      e.value = v;
      e.timestamp = timestamp;
      if (v !== e.previous) changed.push(e);
    }
    for (const op of plan.arrays) {
      // ErrorRollOver in any slot (too many keys down to tell which) says nothing about the keys: the
      // field keeps its state, as Linux's hid-core does.
      let rolledOver = false;
      for (let n = 0; n < op.count; n++) {
        const raw = readBits(data, op.bit + n * op.size, op.size);
        const v = op.signed ? signExtend(raw, op.size) : raw;
        op.values[n] = v;
        if (v === op.rollover) rolledOver = true;
      }
      if (rolledOver) continue;
      const next: IOHIDElement[] = [];
      for (let n = 0; n < op.count; n++) {
        const v = op.values[n]!;
        // Outside the logical range, or usage ID 0 (reserved on every page): no control.
        if (v < op.logicalMin || v > op.logicalMax) continue;
        const item = op.items[v - op.logicalMin];
        if (!item || item.usage === 0 || next.includes(item)) continue;
        item.previous = item.value;
        item.value = 1;
        item.timestamp = timestamp;
        if (item.previous !== 1) changed.push(item);
        next.push(item);
      }
      for (const item of op.active) {
        if (next.includes(item)) continue;
        item.previous = item.value;
        item.value = 0;
        item.timestamp = timestamp;
        if (item.previous !== 0) changed.push(item);
      }
      op.active = next;
    }
    return plan.info;
  }
}
