/**
 * `@driverkit/networkingdriverkit`: Apple's NetworkingDriverKit for TypeScript on Linux. It will hold IOUserNetworkEthernet over TAP and pcap.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
