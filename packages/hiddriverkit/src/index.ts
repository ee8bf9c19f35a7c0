/**
 * `@driverkit/hiddriverkit`: Apple's HIDDriverKit for TypeScript on Linux. It will hold the HID report-descriptor parser, IOHIDElement, IOUserHIDDevice and the HID event services over hidraw (`node-hid`), HID over USB and virtual devices.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
