/**
 * `@driverkit/audiodriverkit`: Apple's AudioDriverKit for TypeScript on Linux. It will hold IOUserAudioDriver and IOUserAudioDevice on the Linux audio server.
 *
 * The package is a buildable skeleton until its family lands; it depends on `@driverkit/driverkit`
 * and plugs into the core only through the core's published seams.
 * @packageDocumentation
 */
export {};
