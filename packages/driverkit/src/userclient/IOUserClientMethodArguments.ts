import type { OSAction } from '../dispatch/OSAction';
import type { IOMemoryDescriptor } from '../memory/IOMemoryDescriptor';
import type { OSData } from '../os/OSData';
import type { OSObject } from '../os/OSObject';

/** Mirrors `kIOUserClientMethodArgumentsCurrentVersion`. */
export const kIOUserClientMethodArgumentsCurrentVersion = 2n;
/** Mirrors `kIOUserClientVariableStructureSize`: in a dispatch check, "any". */
export const kIOUserClientVariableStructureSize = 0xffff_ffff;
/** Mirrors the scalar-array, async-reference and async-argument maxima. */
export const kIOUserClientScalarArrayCountMax = 16;
export const kIOUserClientAsyncReferenceCountMax = 16;
export const kIOUserClientAsyncArgumentsCountMax = 16;
/** The largest structure passed inside a message (`io_struct_inband_t`); larger ones travel as memory descriptors. */
export const kIOUserClientStructureInbandMax = 4096;
/** Mirrors `kIOUserClientQueueNameExternalMethod`: the queue ExternalMethod runs on when the user client binds one. */
export const kIOUserClientQueueNameExternalMethod = 'IOUserClientQueueExternalMethod';
/** Mirrors `kIOUserClientMemoryReadOnly`. */
export const kIOUserClientMemoryReadOnly = 1n;

/**
 * Mirrors `IOUserClientMethodArguments`: what one call from an app carries. A method reads the
 * inputs, and answers by filling `scalarOutput` (setting `scalarOutputCount` if it returns fewer),
 * assigning an OSData to `structureOutput`, or writing into `structureOutputDescriptor`.
 */
export interface IOUserClientMethodArguments {
  version: bigint;
  selector: bigint;
  /** The app's completion for an async call (IOConnectCallAsyncMethod); retain it to complete later. */
  completion: OSAction | null;
  scalarInput: readonly bigint[];
  scalarInputCount: number;
  structureInput: OSData | null;
  /** A structure too large for a message: the app's memory, mapped with `CreateMapping`. */
  structureInputDescriptor: IOMemoryDescriptor | null;
  scalarOutput: bigint[];
  scalarOutputCount: number;
  structureOutput: OSData | null;
  /** Where a structure too large for a message goes: the app's memory, written through a mapping. */
  structureOutputDescriptor: IOMemoryDescriptor | null;
  structureOutputMaximumSize: bigint;
}

/** Mirrors `IOUserClientMethodFunction`: returns a kIOReturn code (or nothing for success), or throws IOReturnError. */
export type IOUserClientMethodFunction = (target: OSObject, reference: unknown, args: IOUserClientMethodArguments) => number | void | Promise<number | void>;

/** Mirrors `IOUserClientMethodDispatch`: a method and the shape its arguments must have. */
export interface IOUserClientMethodDispatch {
  function: IOUserClientMethodFunction | null;
  checkCompletionExists: number;
  checkScalarInputCount: number;
  checkStructureInputSize: number;
  checkScalarOutputCount: number;
  checkStructureOutputSize: number;
}
