/**
 * `@driverkit/serialdriverkit/testing`: what a serial driver's tests need — a host publishing only the
 * ttys a test adds ({@link SerialTestBench}), with pseudo-terminals to play the device on.
 * @packageDocumentation
 */
export { SerialTestBench, type SerialTestPty } from './testing/SerialTestBench';
export { SerialTTYProvider, type SerialTTYInfo } from './host/SerialTTYProvider';
