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
    return !this.isConstant() && !this.isVariable() && this.type !== kIOHIDElementTypeCollection;
  }
  isRelative(): boolean {
    return (this.getFlags() & kIOHIDElementFlagsRelativeMask) !== 0;
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
