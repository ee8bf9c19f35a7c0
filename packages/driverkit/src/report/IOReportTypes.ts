// IOReportTypes.h's categories and units, with Apple's names. A unit here is Apple's 64-bit encoding
// reduced to what `driverkit report` prints: its name.

/** Mirrors `IOReportCategories`: what a reporter's channels are about (a bit mask). */
export const kIOReportCategoryPower = 1 << 1;
export const kIOReportCategoryTraffic = 1 << 2;
export const kIOReportCategoryPerformance = 1 << 3;
export const kIOReportCategoryPeripheral = 1 << 8;
export const kIOReportCategoryField = 1 << 9;
export const kIOReportCategoryDebug = 1 << 15;

/** Mirrors the common `IOReportUnit`s. */
export const kIOReportUnitNone = 'none';
export const kIOReportUnit_s = 's';
export const kIOReportUnit_ms = 'ms';
export const kIOReportUnit_us = 'µs';
export const kIOReportUnit_ns = 'ns';
export const kIOReportUnitHWTicks = 'ticks';
export const kIOReportUnit_Bytes = 'B';
export const kIOReportUnit_KiB = 'KiB';
export const kIOReportUnitEvents = 'events';
export type IOReportUnit = string;

/** Where reporters publish: the legend (channels, names, kinds) and their values, as registry properties. */
export const kIOReportLegendKey = 'IOReportLegend';
export const kIOReportValuesKey = 'IOReportValues';
