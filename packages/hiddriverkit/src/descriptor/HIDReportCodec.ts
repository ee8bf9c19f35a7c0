import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOHIDElement, IOHIDReportType } from '../IOHIDElement';
import { readBits, signExtend, writeBits } from './HIDBits';
import type { HIDReportDescriptor, HIDReportInfo } from './HIDReportDescriptor';

/** The report a device's `type` report with this first byte (or unnumbered) is. */
export function findReport(d: HIDReportDescriptor, type: IOHIDReportType, data: Uint8Array): HIDReportInfo {
  const id = d.numbered ? data[0] : 0;
  const r = d.reports.find((x) => x.type === type && x.reportID === id);
  if (!r) throw new IOReturnError(kIOReturnBadArgument, `no ${type} report${d.numbered ? ` #${id}` : ''} in the descriptor`);
  return r;
}

/** One element's value(s) in a decoded report: a number for a variable field, the pressed usages for an array. */
export interface HIDElementValue {
  element: IOHIDElement;
  value: number;
  /** For arrays: the usages whose controls are reported (indices mapped through the usage list). */
  usages?: number[];
}

/**
 * Decodes an input (or feature) report into element values: any bit offset and width, signed when
 * the logical minimum is negative; array slots become the usages they index.
 */
export function decodeReport(d: HIDReportDescriptor, type: IOHIDReportType, data: Uint8Array): HIDElementValue[] {
  const report = findReport(d, type, data);
  if (data.length < report.length) throw new IOReturnError(kIOReturnBadArgument, `a ${type} report${report.reportID ? ` #${report.reportID}` : ''} is ${report.length} bytes; got ${data.length}`);
  const payload = report.reportID ? data.subarray(1) : data;
  const out: HIDElementValue[] = [];
  for (const e of report.elements) {
    if (e.isConstant()) continue;
    const size = e.getReportSize();
    if (e.isArray()) {
      const usages: number[] = [];
      const list = e.fields.usages ?? [];
      for (let n = 0; n < e.getReportCount(); n++) {
        const raw = readBits(payload, e.bitOffset + n * size, size);
        const index = (e.isSigned() ? signExtend(raw, size) : raw) - e.getLogicalMin();
        // An index outside the logical range, or one naming usage ID 0 (reserved on every page:
        // the keyboard's "no event"), means no control.
        if (index < 0 || raw < e.getLogicalMin() || raw > e.getLogicalMax() || index >= list.length) continue;
        if ((list[index]! & 0xffff) === 0) continue;
        usages.push(list[index]!);
      }
      out.push({ element: e, value: usages.length, usages });
    } else {
      const raw = readBits(payload, e.bitOffset, size);
      out.push({ element: e, value: e.isSigned() ? signExtend(raw, size) : raw });
    }
  }
  return out;
}

/**
 * Encodes an output (or feature) report from element values: variable fields take a number (clamped
 * to nothing: a value outside its logical range is an error), arrays the usages to report.
 */
export function encodeReport(d: HIDReportDescriptor, type: IOHIDReportType, reportID: number, values: Map<IOHIDElement, number | number[]>): Uint8Array {
  const report = d.reports.find((x) => x.type === type && x.reportID === reportID);
  if (!report) throw new IOReturnError(kIOReturnBadArgument, `no ${type} report${reportID ? ` #${reportID}` : ''} in the descriptor`);
  const data = new Uint8Array(report.length);
  if (reportID) data[0] = reportID;
  const payload = reportID ? data.subarray(1) : data;
  for (const e of report.elements) {
    const v = values.get(e);
    if (v === undefined || e.isConstant()) continue;
    const size = e.getReportSize();
    if (e.isArray()) {
      const usages = Array.isArray(v) ? v : [v];
      if (usages.length > e.getReportCount()) throw new IOReturnError(kIOReturnBadArgument, `an array of ${e.getReportCount()} slots cannot report ${usages.length} usages`);
      const list = e.fields.usages ?? [];
      usages.forEach((u, n) => {
        const index = list.indexOf(u);
        if (index < 0) throw new IOReturnError(kIOReturnBadArgument, `usage 0x${u.toString(16)} is not in the array's usages`);
        writeBits(payload, e.bitOffset + n * size, size, index + e.getLogicalMin());
      });
    } else {
      const n = Array.isArray(v) ? v[0]! : v;
      if (n < e.getLogicalMin() || n > e.getLogicalMax()) {
        throw new IOReturnError(kIOReturnBadArgument, `value ${n} is outside the logical range ${e.getLogicalMin()}…${e.getLogicalMax()} of usage 0x${e.getUsagePage().toString(16)}:${e.getUsage().toString(16)}`);
      }
      writeBits(payload, e.bitOffset, size, n);
    }
  }
  return data;
}
