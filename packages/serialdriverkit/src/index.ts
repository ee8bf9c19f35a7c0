/**
 * `@driverkit/serialdriverkit`: Apple's SerialDriverKit for TypeScript on Linux. It will hold IOUserSerial and IOUserUSBSerial published as real ttys over ptys, and existing ttys through `serialport`.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
