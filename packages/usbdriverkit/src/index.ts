/**
 * `@driverkit/usbdriverkit`: Apple's USBDriverKit for TypeScript on Linux. It will hold IOUSBHostDevice, IOUSBHostInterface and IOUSBHostPipe over libusb (the `usb` package), a virtual USB host, and replay of real USB captures.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
