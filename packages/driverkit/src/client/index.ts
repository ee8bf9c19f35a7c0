/**
 * `@driverkit/driverkit/client`: the app side of DriverKit, as IOKit.framework offers it on macOS:
 * find services, open user clients, call their methods (scalars, structures, async), map the memory
 * they share, read registry properties and follow matched and terminated services. Everything that
 * waits returns a promise; every failure is an IOReturnError carrying its kIOReturn code.
 * @packageDocumentation
 */
export * from './IOKitLib';
export { IOReturnError, isIOReturnError } from '../IOReturn/IOReturnError';
export * from '../IOReturn/IOReturn';
export { OSDictionary } from '../os/OSDictionary';
export { OSArray } from '../os/OSArray';
export { OSNumber } from '../os/OSNumber';
export { OSString } from '../os/OSString';
export { OSData } from '../os/OSData';
export { OSBoolean, kOSBooleanTrue, kOSBooleanFalse } from '../os/OSBoolean';
export { toOSDictionary, fromOSObject, type OSValue } from '../os/OSValue';
