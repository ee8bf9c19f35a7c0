import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNoCompletion, kIOReturnNotAttached, kIOReturnSuccess, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import type { OSAction } from '../dispatch/OSAction';
import type { IOMemoryDescriptor } from '../memory/IOMemoryDescriptor';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { IOService } from '../service/IOService';
import {
  kIOUserClientAsyncArgumentsCountMax,
  kIOUserClientVariableStructureSize,
  type IOUserClientMethodArguments,
  type IOUserClientMethodDispatch,
} from './IOUserClientMethodArguments';

/** Where an app's async completion goes: the transport back to the app that made the call. @internal */
export type IOUserClientCompletionSink = (status: number, asyncData: bigint[]) => void;

const sinks = new WeakMap<OSAction, IOUserClientCompletionSink>();

/** Ties an action to the app call it completes. @internal (the driver runtime calls it) */
export function bindCompletion(action: OSAction, sink: IOUserClientCompletionSink): void {
  sinks.set(action, sink);
}

function mismatch(check: string, declared: number, actual: number | bigint): IOReturnError {
  return new IOReturnError(kIOReturnBadArgument, `ExternalMethod: ${check} is ${declared} but the call has ${actual}`);
}

/**
 * Mirrors `IOUserClient`: the driver's end of an app's connection (IOServiceOpen). A subclass
 * overrides {@link ExternalMethod}, usually bounds-checking the selector, picking an entry of its
 * dispatch table and calling `super.ExternalMethod(selector, args, dispatch, this, reference)`, which
 * enforces the table's counts and sizes before the method runs, as Apple's does.
 */
export class IOUserClient extends IOService {
  #entitlements: OSDictionary = OSDictionary.withCapacity(0);

  /**
   * Mirrors `IOUserClient::ExternalMethod(selector, arguments, dispatch, target, reference)`. With a
   * dispatch entry: each `check*` that is not `kIOUserClientVariableStructureSize` (0xFFFFFFFF) must
   * equal the call's shape, else `kIOReturnBadArgument`; then `dispatch.function(target, reference,
   * arguments)` runs (no function: `kIOReturnNoCompletion`). Without one: `kIOReturnUnsupported`.
   */
  async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, dispatch: IOUserClientMethodDispatch | null, target: OSObject | null, reference: unknown): Promise<number> {
    if (!dispatch) throw new IOReturnError(kIOReturnUnsupported, `${this.getClassName()} has no method ${selector}`);
    const any = kIOUserClientVariableStructureSize;
    if (dispatch.checkCompletionExists !== any) {
      if (dispatch.checkCompletionExists > 0 && !args.completion) throw new IOReturnError(kIOReturnBadArgument, 'ExternalMethod: the method is async and the call has no completion');
      if (dispatch.checkCompletionExists === 0 && args.completion) throw new IOReturnError(kIOReturnBadArgument, 'ExternalMethod: the method is not async but the call has a completion');
    }
    if (dispatch.checkScalarInputCount !== any && dispatch.checkScalarInputCount !== args.scalarInputCount) throw mismatch('checkScalarInputCount', dispatch.checkScalarInputCount, args.scalarInputCount);
    const inputSize = args.structureInput ? args.structureInput.getLength() : args.structureInputDescriptor ? Number(args.structureInputDescriptor.GetLength()) : 0;
    if (dispatch.checkStructureInputSize !== any && dispatch.checkStructureInputSize !== inputSize) throw mismatch('checkStructureInputSize', dispatch.checkStructureInputSize, inputSize);
    if (dispatch.checkScalarOutputCount !== any && dispatch.checkScalarOutputCount !== args.scalarOutputCount) throw mismatch('checkScalarOutputCount', dispatch.checkScalarOutputCount, args.scalarOutputCount);
    if (dispatch.checkStructureOutputSize !== any && BigInt(dispatch.checkStructureOutputSize) !== args.structureOutputMaximumSize) {
      throw mismatch('checkStructureOutputSize', dispatch.checkStructureOutputSize, args.structureOutputMaximumSize);
    }
    if (!dispatch.function) throw new IOReturnError(kIOReturnNoCompletion, `ExternalMethod: selector ${selector} has no function`);
    const status = await dispatch.function(target ?? this, reference, args);
    return typeof status === 'number' ? status : kIOReturnSuccess;
  }

  /**
   * Mirrors `IOUserClient::AsyncCompletion(action, status, asyncData, asyncDataCount)`: completes an
   * app's async call whose `completion` the driver kept; `asyncData` holds at most 16 values. A
   * completion whose app has gone is dropped (`kIOReturnNotAttached` is thrown so the driver can stop).
   */
  AsyncCompletion(action: OSAction, status: number, asyncData: readonly (bigint | number)[] = []): void {
    if (asyncData.length > kIOUserClientAsyncArgumentsCountMax) {
      throw new IOReturnError(kIOReturnBadArgument, `AsyncCompletion: ${asyncData.length} values, more than ${kIOUserClientAsyncArgumentsCountMax}`);
    }
    const sink = sinks.get(action);
    if (!sink) throw new IOReturnError(kIOReturnBadArgument, 'AsyncCompletion: the action is not the completion of an app call');
    if (action.isCancelled() || action.isAborted()) throw new IOReturnError(kIOReturnNotAttached, 'AsyncCompletion: the app that made the call is gone');
    sink(status >>> 0, asyncData.map((v) => BigInt.asUintN(64, BigInt(v))));
  }

  /** The method an app call's completion action names (Apple's `KernelCompletion`); it forwards to the app. */
  KernelCompletion(action: OSAction, status: number, asyncData: bigint[]): void {
    this.AsyncCompletion(action, status, asyncData);
  }

  /**
   * Mirrors `IOUserClient::CopyClientMemoryForType(type, &options, &memory)` (serves
   * IOConnectMapMemory64): return the same descriptor for a type each time; the caller consumes one
   * reference; `options` may include `kIOUserClientMemoryReadOnly`. The default has none.
   */
  CopyClientMemoryForType(type: bigint): { options: bigint; memory: IOMemoryDescriptor } | Promise<{ options: bigint; memory: IOMemoryDescriptor }> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getClassName()} shares no memory of type ${type}`);
  }

  /** Mirrors `IOUserClient::CopyClientEntitlements`: what the host's policy grants the app, retained. */
  CopyClientEntitlements(): OSDictionary {
    return this.#entitlements.retain();
  }

  /** @internal */
  setClientEntitlements(entitlements: OSDictionary): void {
    const old = this.#entitlements;
    this.#entitlements = entitlements.retain();
    old.release();
  }

  override free(): void {
    this.#entitlements.release();
    super.free();
  }
}
