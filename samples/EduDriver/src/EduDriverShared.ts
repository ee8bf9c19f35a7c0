// What the driver and its client app agree on: the user client's selectors.

export enum EduExternalMethod {
  /** scalar in: n; scalar out: n! (as the device computes it, in 32 bits). */
  Factorial = 0,
  /** structure in: up to 4096 bytes; structure out: the same bytes after RAM → device → RAM by DMA. */
  DMARoundTrip = 1,
  /** scalar out: interrupts the driver has handled, and the identification register. */
  Status = 2,
  /** scalar in: a value; scalar out: what the liveness register gives back (its inverse). */
  Liveness = 3,
  NumberOfExternalMethods = 4,
}

/** The device's DMA buffer holds 4 KiB. */
export const kEduDMABufferSize = 4096;
