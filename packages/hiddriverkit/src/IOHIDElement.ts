import { IOReturnError, kIOReturnBadArgument, kIOReturnNotReady } from '@driverkit/driverkit';

/** Mirrors `IOHIDElementType`. */
export const kIOHIDElementTypeInput_Misc = 1;
export const kIOHIDElementTypeInput_Button = 2;
export const kIOHIDElementTypeInput_Axis = 3;
export const kIOHIDElementTypeInput_ScanCodes = 4;
export const kIOHIDElementTypeInput_NULL = 5;
export const kIOHIDElementTypeOutput = 129;
export const kIOHIDElementTypeFeature = 257;
export const kIOHIDElementTypeCollection = 513;

/** Mirrors `IOHIDElementCollectionType`. */
export const kIOHIDElementCollectionTypePhysical = 0;
export const kIOHIDElementCollectionTypeApplication = 1;
export const kIOHIDElementCollectionTypeLogical = 2;

/** Mirrors the main-item flag bits (`kIOHIDElementFlags…`). */
export const kIOHIDElementFlagsConstantMask = 0x0001;
export const kIOHIDElementFlagsVariableMask = 0x0002;
export const kIOHIDElementFlagsRelativeMask = 0x0004;
export const kIOHIDElementFlagsWrapMask = 0x0008;
export const kIOHIDElementFlagsNonLinearMask = 0x0010;
export const kIOHIDElementFlagsNoPreferredMask = 0x0020;
export const kIOHIDElementFlagsNullStateMask = 0x0040;
export const kIOHIDElementFlagsVolativeMask = 0x0080;
export const kIOHIDElementFlagsBufferedByteMask = 0x0100;

/** Mirrors `IOHIDValueOptions`: `getValue(kIOHIDValueOptionsFlagPrevious)` reads the value before the last report. */
export const kIOHIDValueOptionsFlagRelativeSimple = 1 << 0;
export const kIOHIDValueOptionsFlagPrevious = 1 << 1;

/** Mirrors `IOHIDValueScaleType`. */
export const kIOHIDValueScaleTypeCalibrated = 0;
export const kIOHIDValueScaleTypePhysical = 1;

/** @internal When a report of one type and ID last arrived (see {@link IOHIDElement.clock}). */
export interface HIDReportClock {
  timestamp: bigint;
}

/** Which report a field belongs to. */
export type IOHIDReportType = 'input' | 'output' | 'feature';

/**
 * Mirrors `IOHIDElement`: one node of a device's element tree. A collection has children; a field
 * (input, output or feature) has a place in its report: `reportID`, the bit offset of its first value
 * within the report's payload (after the report-ID byte, when there is one), `reportSize` bits per
 * value and `reportCount` values. A variable field's values each have their own usage (`usages[i]`);
 * an array field's values are indices into `usageMin…usageMax` (or `usages`), one per pressed control.
 */
export class IOHIDElement {
  readonly children: IOHIDElement[] = [];
  parent: IOHIDElement | null = null;
  /**
   * For an array field (the "array handler"): one element per usage it can report, each valued 1
   * while its control is reported and 0 otherwise, as IOHIDFamily splits arrays for drivers.
   */
  arrayItems: IOHIDElement[] | null = null;
  /** For an array item: the array field it belongs to. */
  arrayHandler: IOHIDElement | null = null;
  /** Position in the interface's element list, plus one (Apple's cookie). */
  cookie = 0;
  /** @internal The element's state, written by report processing (hot path: plain fields). */
  value = 0;
  /** @internal */
  previous = 0;
  /** @internal When a report last carried this element, for an element the report processor does not clock. */
  stamp = 0n;
  /**
   * @internal The clock of the report this variable element belongs to: every report of that ID
   * updates all its variable elements, so one store per report stamps them all (a BigInt store per
   * element cost a third of report processing).
   */
  clock: HIDReportClock | null = null;
  /** @internal How {@link commit} reaches the interface the element belongs to. */
  committer: ((elements: readonly IOHIDElement[], direction: number) => Promise<void>) | null = null;

  constructor(
    readonly type: number,
    readonly usagePage: number,
    readonly usage: number,
    readonly fields: {
      collectionType?: number;
      reportType?: IOHIDReportType;
      reportID?: number;
      bitOffset?: number;
      reportSize?: number;
      reportCount?: number;
      flags?: number;
      logicalMin?: number;
      logicalMax?: number;
      physicalMin?: number;
      physicalMax?: number;
      unit?: number;
      unitExponent?: number;
      usages?: number[];
      usageMin?: number;
      usageMax?: number;
      designatorIndex?: number;
      stringIndex?: number;
    } = {},
  ) {}

  /** Mirrors `getType`. */
  getType(): number {
    return this.type;
  }
  /** Mirrors `getUsagePage` / `getUsage`. */
  getUsagePage(): number {
    return this.usagePage;
  }
  getUsage(): number {
    return this.usage;
  }
  getCollectionType(): number | undefined {
    return this.fields.collectionType;
  }
  getReportID(): number {
    return this.fields.reportID ?? 0;
  }
  getReportSize(): number {
    return this.fields.reportSize ?? 0;
  }
  getReportCount(): number {
    return this.fields.reportCount ?? 0;
  }
  getFlags(): number {
    return this.fields.flags ?? 0;
  }
  getLogicalMin(): number {
    return this.fields.logicalMin ?? 0;
  }
  getLogicalMax(): number {
    return this.fields.logicalMax ?? 0;
  }
  getPhysicalMin(): number {
    return this.fields.physicalMin ?? 0;
  }
  getPhysicalMax(): number {
    return this.fields.physicalMax ?? 0;
  }
  getUnit(): number {
    return this.fields.unit ?? 0;
  }
  getUnitExponent(): number {
    return this.fields.unitExponent ?? 0;
  }
  /** Mirrors `getParentElement`. */
  getParentElement(): IOHIDElement | null {
    return this.parent;
  }
  /** Mirrors `getChildElements`. */
  getChildElements(): IOHIDElement[] {
    return this.children;
  }
  isConstant(): boolean {
    return (this.getFlags() & kIOHIDElementFlagsConstantMask) !== 0;
  }
  isVariable(): boolean {
    return (this.getFlags() & kIOHIDElementFlagsVariableMask) !== 0;
  }
  isArray(): boolean {
    return this.arrayItems !== null;
  }
  isRelative(): boolean {
    return (this.getFlags() & kIOHIDElementFlagsRelativeMask) !== 0;
  }
  /** Mirrors `getCookie`. */
  getCookie(): number {
    return this.cookie;
  }
  /**
   * Mirrors `getValue(options)`: the value from the last report that carried this element, or the
   * one before it with `kIOHIDValueOptionsFlagPrevious`.
   */
  getValue(options = 0): number {
    return options & kIOHIDValueOptionsFlagPrevious ? this.previous : this.value;
  }
  /** Mirrors `getTimeStamp`: when the last report that carried this element arrived (mach_absolute_time). */
  getTimeStamp(): bigint {
    return this.clock === null ? this.stamp : this.clock.timestamp;
  }
  /** Mirrors `setValue(value, options)`: the value an output or feature report will carry. */
  setValue(value: number, _options = 0): void {
    this.previous = this.value;
    this.value = value;
  }
  /**
   * Mirrors `getScaledValue(type)`: the value mapped from the logical range onto the physical range
   * (`kIOHIDValueScaleTypePhysical`) or onto −1…1 / 0…1 (`kIOHIDValueScaleTypeCalibrated`).
   */
  getScaledValue(type = kIOHIDValueScaleTypePhysical): number {
    const lmin = this.getLogicalMin();
    const lmax = this.getLogicalMax();
    if (lmax === lmin) return this.value;
    const t = (this.value - lmin) / (lmax - lmin);
    if (type === kIOHIDValueScaleTypeCalibrated) return lmin < 0 ? t * 2 - 1 : t;
    let pmin = this.getPhysicalMin();
    let pmax = this.getPhysicalMax();
    // HID 1.11 §6.2.2.7: a physical range of 0…0 means "the same as the logical range".
    if (pmin === 0 && pmax === 0) [pmin, pmax] = [lmin, lmax];
    return pmin + t * (pmax - pmin);
  }
  /** Mirrors `getScaledFixedValue(type)`: {@link getScaledValue} as a 16.16 IOFixed. */
  getScaledFixedValue(type = kIOHIDValueScaleTypePhysical): number {
    return Math.round(this.getScaledValue(type) * 65536) | 0;
  }
  /**
   * Mirrors `getDataValue(options)`: the element's bits as its report carries them (reportSize bits,
   * little-endian, two's complement when the logical minimum is negative), in whole bytes.
   */
  getDataValue(options = 0): Uint8Array {
    const bits = this.getReportSize();
    const out = new Uint8Array(Math.ceil(bits / 8));
    let v = BigInt.asUintN(Math.max(bits, 1), BigInt(Math.trunc(this.getValue(options))));
    for (let i = 0; i < out.length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  }

  /**
   * Mirrors `setDataValue(value)`: sets the element from report bits (as {@link getDataValue} gives
   * them); a commit then sends them. More bytes than the element's bits is kIOReturnBadArgument.
   */
  setDataValue(value: Uint8Array): void {
    const bits = this.getReportSize();
    if (value.length > Math.ceil(bits / 8)) throw new IOReturnError(kIOReturnBadArgument, `setDataValue: ${value.length} bytes for a ${bits}-bit element`);
    let v = 0n;
    for (let i = value.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[i]!);
    const n = this.isSigned() ? BigInt.asIntN(Math.max(bits, 1), v) : BigInt.asUintN(Math.max(bits, 1), v);
    this.setValue(Number(n));
  }

  /**
   * Mirrors `commit(direction)`: kIOHIDElementCommitDirectionOut sends the report holding this
   * element (with its value from setValue or setDataValue); …In reads the feature report holding it.
   */
  async commit(direction: number): Promise<void> {
    if (!this.committer) throw new IOReturnError(kIOReturnNotReady, 'commit: the element does not belong to an interface (take it from IOHIDInterface.getElements)');
    await this.committer([this], direction);
  }

  /** Mirrors `conformsTo(usagePage, usage)`: this element is, or is inside, a collection with that usage. */
  conformsTo(usagePage: number, usage: number): boolean {
    for (let e: IOHIDElement | null = this; e; e = e.parent) if (e.usagePage === usagePage && e.usage === usage) return true;
    return false;
  }
  /** True when the logical minimum is negative: values are two's complement. */
  isSigned(): boolean {
    return this.getLogicalMin() < 0;
  }
  /** Bit offset of the first value in the report's payload. */
  get bitOffset(): number {
    return this.fields.bitOffset ?? 0;
  }
  /** Total bits this field occupies. */
  get bitLength(): number {
    return this.getReportSize() * this.getReportCount();
  }
}
