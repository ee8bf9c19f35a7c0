import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import {
  IOHIDElement,
  kIOHIDElementFlagsConstantMask,
  kIOHIDElementFlagsVariableMask,
  kIOHIDElementTypeCollection,
  kIOHIDElementTypeFeature,
  kIOHIDElementTypeInput_Axis,
  kIOHIDElementTypeInput_Button,
  kIOHIDElementTypeInput_Misc,
  kIOHIDElementTypeInput_NULL,
  kIOHIDElementTypeInput_ScanCodes,
  kIOHIDElementTypeOutput,
  type IOHIDReportType,
} from '../IOHIDElement';

/**
 * How strictly to read a descriptor: `strict` refuses the first item the HID 1.11 specification does
 * not allow (reserved or unknown items, long items, odd sizes); `lenient` accepts what the Linux
 * kernel's hid-core accepts (it skips unknown main and local items, reserved and long items, and
 * refuses the rest).
 */
export type HIDParseMode = 'strict' | 'lenient';

/** One report's place: its type, ID (0 when the device numbers none) and length in bytes (ID included). */
export interface HIDReportInfo {
  type: IOHIDReportType;
  reportID: number;
  /** The payload's length in bits, without the report-ID byte. */
  bits: number;
  /** The report's length in bytes, including the report-ID byte when numbered. */
  length: number;
  /** The fields of the report, in order. */
  elements: IOHIDElement[];
}

/** A parsed report descriptor: the element tree under a virtual root, and the reports it defines. */
export interface HIDReportDescriptor {
  root: IOHIDElement;
  reports: HIDReportInfo[];
  /** Whether any report is numbered (then every report starts with its ID). */
  numbered: boolean;
  /** Items skipped in lenient mode, with their byte offsets. */
  skipped: string[];
}

interface Globals {
  usagePage: number;
  logicalMin: number;
  logicalMax: number;
  logicalMaxUnsigned: number;
  physicalMin: number;
  physicalMax: number;
  unitExponent: number;
  unit: number;
  reportSize: number;
  reportID: number;
  reportCount: number;
}

interface Locals {
  usages: number[];
  usageMin: number | null;
  usageMax: number | null;
  designatorIndex: number;
  stringIndex: number;
  delimiterDepth: number;
}

// Linux's limits (drivers/hid/hid-core.c).
const MAX_REPORT_SIZE = 256;
const MAX_USAGES = 12288;

const MAIN = 0;
const GLOBAL = 1;
const LOCAL = 2;

function unsigned(data: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + data[at + i]!;
  return v;
}

function signed(data: Uint8Array, at: number, size: number): number {
  const u = unsigned(data, at, size);
  if (size === 0) return 0;
  const bits = size * 8;
  return u >= 2 ** (bits - 1) ? u - 2 ** bits : u;
}

function freshLocals(): Locals {
  return { usages: [], usageMin: null, usageMax: null, designatorIndex: 0, stringIndex: 0, delimiterDepth: 0 };
}

/**
 * Parses a HID 1.11 report descriptor into its IOHIDElement tree and report layout. Errors are
 * IOReturnErrors (kIOReturnBadArgument) naming the item and its byte offset.
 */
export function parseReportDescriptor(bytes: Uint8Array, mode: HIDParseMode = 'lenient'): HIDReportDescriptor {
  const fail = (offset: number, why: string) => new IOReturnError(kIOReturnBadArgument, `report descriptor: ${why} at byte ${offset}`);
  const root = new IOHIDElement(kIOHIDElementTypeCollection, 0, 0, { collectionType: 0xff });
  let g: Globals = { usagePage: 0, logicalMin: 0, logicalMax: 0, logicalMaxUnsigned: 0, physicalMin: 0, physicalMax: 0, unitExponent: 0, unit: 0, reportSize: 0, reportID: 0, reportCount: 0 };
  const stack: Globals[] = [];
  let l = freshLocals();
  let collection = root;
  const reports = new Map<string, HIDReportInfo>();
  const skipped: string[] = [];
  let numbered = false;
  const skip = (offset: number, what: string) => {
    if (mode === 'strict') throw fail(offset, what);
    skipped.push(`${what} at byte ${offset}`);
  };
  // A 1- or 2-byte usage takes the current usage page; a 4-byte one carries its own.
  const fullUsage = (value: number, size: number) => (size === 4 ? value : g.usagePage * 0x10000 + value);

  let i = 0;
  while (i < bytes.length) {
    const at = i;
    const prefix = bytes[i]!;
    if (prefix === 0xfe) {
      if (i + 2 >= bytes.length) throw fail(at, 'a long item is cut short');
      const size = bytes[i + 1]!;
      if (i + 3 + size > bytes.length) throw fail(at, `a long item declares ${size} data bytes past the end`);
      skip(at, `long item (tag 0x${bytes[i + 2]!.toString(16)})`);
      i += 3 + size;
      continue;
    }
    const size = [0, 1, 2, 4][prefix & 3]!;
    const type = (prefix >> 2) & 3;
    const tag = prefix >> 4;
    if (i + 1 + size > bytes.length) throw fail(at, `item 0x${prefix.toString(16).padStart(2, '0')} declares ${size} data bytes but ${bytes.length - i - 1} remain`);
    const u = unsigned(bytes, i + 1, size);
    const s = signed(bytes, i + 1, size);
    i += 1 + size;

    if (type === MAIN) {
      if (tag === 0xa) {
        // Collection
        const usage = l.usages[0] ?? (l.usageMin !== null ? l.usageMin : g.usagePage * 0x10000);
        const c = new IOHIDElement(kIOHIDElementTypeCollection, usage >>> 16, usage & 0xffff, { collectionType: u });
        c.parent = collection;
        collection.children.push(c);
        collection = c;
      } else if (tag === 0xc) {
        if (collection === root) throw fail(at, 'End Collection without an open collection');
        collection = collection.parent!;
      } else if (tag === 0x8 || tag === 0x9 || tag === 0xb) {
        const reportType: IOHIDReportType = tag === 0x8 ? 'input' : tag === 0x9 ? 'output' : 'feature';
        addField(reportType, u, at);
      } else {
        skip(at, `unknown main item tag 0x${tag.toString(16)}`);
      }
      l = freshLocals();
    } else if (type === GLOBAL) {
      switch (tag) {
        case 0x0:
          g.usagePage = u;
          break;
        case 0x1:
          g.logicalMin = s;
          break;
        case 0x2:
          g.logicalMax = s;
          g.logicalMaxUnsigned = u;
          break;
        case 0x3:
          g.physicalMin = s;
          break;
        case 0x4:
          g.physicalMax = s;
          break;
        case 0x5:
          // The exponent is a 4-bit two's-complement nibble (HID 1.11 §6.2.2.7).
          g.unitExponent = size === 1 && u < 16 ? (u >= 8 ? u - 16 : u) : s;
          break;
        case 0x6:
          g.unit = u;
          break;
        case 0x7:
          if (u > MAX_REPORT_SIZE) throw fail(at, `Report Size ${u} is larger than ${MAX_REPORT_SIZE}`);
          g.reportSize = u;
          break;
        case 0x8:
          if (u === 0 || u > 255) throw fail(at, `Report ID ${u} is not 1 to 255`);
          g.reportID = u;
          numbered = true;
          break;
        case 0x9:
          if (u > MAX_USAGES) throw fail(at, `Report Count ${u} is larger than ${MAX_USAGES}`);
          g.reportCount = u;
          break;
        case 0xa:
          stack.push({ ...g });
          break;
        case 0xb: {
          const popped = stack.pop();
          if (!popped) throw fail(at, 'Pop without a matching Push');
          g = popped;
          break;
        }
        default:
          // Linux refuses unknown global items too.
          throw fail(at, `unknown global item tag 0x${tag.toString(16)}`);
      }
    } else if (type === LOCAL) {
      switch (tag) {
        case 0x0:
          if (l.usages.length >= MAX_USAGES) throw fail(at, `more than ${MAX_USAGES} usages`);
          l.usages.push(fullUsage(u, size));
          break;
        case 0x1:
          l.usageMin = fullUsage(u, size);
          break;
        case 0x2:
          l.usageMax = fullUsage(u, size);
          if (l.usageMin !== null) {
            if (l.usageMax < l.usageMin) {
              if (mode === 'strict') throw fail(at, `Usage Maximum 0x${l.usageMax.toString(16)} is below Usage Minimum 0x${l.usageMin.toString(16)}`);
            } else {
              for (let usage = l.usageMin; usage <= l.usageMax && l.usages.length < MAX_USAGES; usage++) l.usages.push(usage);
            }
          }
          break;
        case 0x3:
          l.designatorIndex = u;
          break;
        case 0x4:
        case 0x5:
          break;
        case 0x7:
          l.stringIndex = u;
          break;
        case 0x8:
        case 0x9:
          break;
        case 0xa:
          if (u === 1) l.delimiterDepth++;
          else if (l.delimiterDepth === 0) throw fail(at, 'Delimiter close without an open');
          else l.delimiterDepth--;
          break;
        default:
          skip(at, `unknown local item tag 0x${tag.toString(16)}`);
      }
    } else {
      skip(at, `reserved item type (prefix 0x${prefix.toString(16)})`);
    }
  }
  if (collection !== root) throw fail(bytes.length, 'the descriptor ends inside an open collection');
  if (stack.length && mode === 'strict') throw fail(bytes.length, 'the descriptor ends with a Push not popped');

  return { root, reports: [...reports.values()], numbered, skipped };

  function addField(reportType: IOHIDReportType, flags: number, at: number): void {
    const key = `${reportType}/${g.reportID}`;
    let report = reports.get(key);
    if (!report) {
      report = { type: reportType, reportID: g.reportID, bits: 0, length: 0, elements: [] };
      reports.set(key, report);
    }
    if (g.reportSize === 0 && g.reportCount > 0 && mode === 'strict') throw fail(at, 'a main item with Report Size 0');
    // Linux reads a logical maximum as unsigned when the minimum is not negative.
    const logicalMax = g.logicalMin >= 0 && g.logicalMax < 0 ? g.logicalMaxUnsigned : g.logicalMax;
    const common = {
      reportType,
      reportID: g.reportID,
      reportSize: g.reportSize,
      flags,
      logicalMin: g.logicalMin,
      logicalMax,
      physicalMin: g.physicalMin,
      physicalMax: g.physicalMax,
      unit: g.unit,
      unitExponent: g.unitExponent,
      designatorIndex: l.designatorIndex,
      stringIndex: l.stringIndex,
    };
    const base = report.bits;
    const add = (e: IOHIDElement) => {
      e.parent = collection;
      collection.children.push(e);
      report!.elements.push(e);
    };
    const typeFor = (usage: number) => {
      if (reportType === 'output') return kIOHIDElementTypeOutput;
      if (reportType === 'feature') return kIOHIDElementTypeFeature;
      if (flags & kIOHIDElementFlagsConstantMask) return kIOHIDElementTypeInput_NULL;
      const page = usage >>> 16;
      if (page === 0x09 || g.reportSize === 1) return kIOHIDElementTypeInput_Button;
      if (!(flags & kIOHIDElementFlagsVariableMask) && page === 0x07) return kIOHIDElementTypeInput_ScanCodes;
      if (page === 0x01 && (usage & 0xffff) >= 0x30 && (usage & 0xffff) <= 0x38) return kIOHIDElementTypeInput_Axis;
      return kIOHIDElementTypeInput_Misc;
    };
    if (flags & kIOHIDElementFlagsConstantMask || (l.usages.length === 0 && flags & kIOHIDElementFlagsVariableMask)) {
      // Padding (or a variable field with no usage): one element for the whole run.
      add(new IOHIDElement(typeFor(0), g.usagePage, 0, { ...common, bitOffset: base, reportCount: g.reportCount }));
    } else if (flags & kIOHIDElementFlagsVariableMask) {
      // One element per value, each with its usage; the last usage repeats when there are fewer.
      for (let n = 0; n < g.reportCount; n++) {
        const usage = l.usages[Math.min(n, l.usages.length - 1)]!;
        add(new IOHIDElement(typeFor(usage), usage >>> 16, usage & 0xffff, { ...common, bitOffset: base + n * g.reportSize, reportCount: 1, usages: [usage] }));
      }
    } else {
      // An array: reportCount slots, each holding the index of a pressed control.
      const first = l.usages[0] ?? g.usagePage * 0x10000;
      const handler = new IOHIDElement(typeFor(first), first >>> 16, first & 0xffff, {
        ...common,
        bitOffset: base,
        reportCount: g.reportCount,
        usages: l.usages,
        usageMin: l.usages.length ? Math.min(...l.usages.slice(0, 65536)) : undefined,
        usageMax: l.usages.length ? Math.max(...l.usages.slice(0, 65536)) : undefined,
      });
      add(handler);
      handler.arrayItems = l.usages.map((usage) => {
        const item = new IOHIDElement(reportType === 'input' ? kIOHIDElementTypeInput_Button : typeFor(usage), usage >>> 16, usage & 0xffff, {
          ...common,
          flags: flags | kIOHIDElementFlagsVariableMask,
          logicalMin: 0,
          logicalMax: 1,
          bitOffset: base,
          reportSize: 1,
          reportCount: 1,
          usages: [usage],
        });
        item.parent = collection;
        item.arrayHandler = handler;
        return item;
      });
    }
    report.bits += g.reportSize * g.reportCount;
    report.length = Math.ceil(report.bits / 8) + (g.reportID ? 1 : 0);
  }
}
