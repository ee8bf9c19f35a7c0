/**
 * `@driverkit/pcidriverkit`: Apple's PCIDriverKit for TypeScript on Linux. It will hold IOPCIDevice over Linux sysfs config space (read only for the machine's own devices) and virtual config spaces.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
