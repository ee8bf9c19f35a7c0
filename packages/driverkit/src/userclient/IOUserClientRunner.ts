import { IOReturnError, errorReason, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSAction } from '../dispatch/OSAction';
import type { IODispatchQueue } from '../dispatch/IODispatchQueue';
import { IOBufferMemoryDescriptor } from '../memory/IOBufferMemoryDescriptor';
import { IOMemoryDescriptor, kIOMemoryDirectionIn, kIOMemoryDirectionOut } from '../memory/IOMemoryDescriptor';
import { IOSharedMemory } from '../memory/IOSharedMemory';
import { OSData } from '../os/OSData';
import type { OSDictionary } from '../os/OSDictionary';
import type { IOService } from '../service/IOService';
import { bindCompletion, IOUserClient, type IOUserClientCompletionSink } from './IOUserClient';
import type { IOUserClientCall, IOUserClientCallResult } from './IOUserClientCall';
import { kIOUserClientMethodArgumentsCurrentVersion, kIOUserClientQueueNameExternalMethod, type IOUserClientMethodArguments } from './IOUserClientMethodArguments';

/** What an app may map from a user client: where the bytes are and how. */
export interface IOUserClientMemoryGrant {
  name: string;
  offset: number;
  length: number;
  options: bigint;
}

/** Completions the driver kept past its ExternalMethod, per user client: aborted when the app's end goes. */
const kept = new WeakMap<IOUserClient, Set<OSAction>>();

/**
 * Runs user-client work inside the process that holds the driver (a driver process, or the host in
 * in-process mode): opening one through the service's NewUserClient, calling ExternalMethod on the
 * right queue with arguments built from an app's call, and sharing memory. The transport is the
 * caller's.
 */
export class IOUserClientRunner {
  /** Mirrors the system's side of IOServiceOpen: `NewUserClient(type)`, which must give an IOUserClient. */
  static async open(service: IOService, type: number, entitlements: OSDictionary): Promise<IOUserClient> {
    const created = await service.NewUserClient(type);
    if (!(created instanceof IOUserClient)) {
      void created.Terminate();
      created.release();
      throw new IOReturnError(kIOReturnUnsupported, `${service.getName()}.NewUserClient(${type}) made a ${created.getClassName()}, not an IOUserClient`);
    }
    created.setClientEntitlements(entitlements);
    return created;
  }

  /**
   * Ends a user client: each completion the driver still holds is told `Aborted` (the app that
   * would receive it is gone, so AsyncCompletion on it is kIOReturnNotAttached), then
   * Terminate (its Stop runs) and the opener's reference goes.
   */
  static async close(userClient: IOUserClient): Promise<void> {
    const held = kept.get(userClient);
    kept.delete(userClient);
    for (const action of held ?? []) {
      if (action.isFreed()) continue;
      // Not cancelled: the driver cancels its own actions (with a handler it may wait on in Stop).
      try {
        action.Aborted();
      } catch (e) {
        // A driver's handler that throws must not keep its user client from closing.
        console.error(`${userClient.getClassName()}: an OSAction aborted handler threw: ${errorReason(e)}`);
      }
    }
    await userClient.Terminate();
    userClient.release();
  }

  /**
   * One app call: builds IOUserClientMethodArguments (structures beyond a frame mapped from the app's
   * shared memory), runs `ExternalMethod` on the user client's ExternalMethod queue (else Default),
   * and gathers the outputs. The driver's failures come back as the status, never as an exception.
   */
  static async call(userClient: IOUserClient, call: IOUserClientCall, onCompletion: IOUserClientCompletionSink | null): Promise<IOUserClientCallResult> {
    const attached: IOSharedMemory[] = [];
    let completion: OSAction | null = null;
    try {
      const structureInputDescriptor = call.structureInputMemory ? region(attach(call.structureInputMemory, attached), kIOMemoryDirectionOut, call.structureInputLength, 'structureInput') : null;
      const structureOutputDescriptor = call.structureOutputMemory ? region(attach(call.structureOutputMemory, attached), kIOMemoryDirectionIn, call.structureOutputMaximumSize, 'structureOutput') : null;
      if (call.asyncReference) {
        if (!onCompletion) throw new IOReturnError(kIOReturnBadArgument, 'an async call needs a completion route');
        completion = OSAction.CreateWithTypeName(userClient, 'KernelCompletion', 0, 'IOUserClient::AsyncCompletion');
        bindCompletion(completion, onCompletion);
      }
      const args: IOUserClientMethodArguments = {
        version: kIOUserClientMethodArgumentsCurrentVersion,
        selector: call.selector,
        completion,
        scalarInput: call.scalarInput,
        scalarInputCount: call.scalarInput.length,
        structureInput: call.structureInput ? OSData.withBytesNoCopy(call.structureInput) : null,
        structureInputDescriptor,
        scalarOutput: new Array<bigint>(call.scalarOutputCount).fill(0n),
        scalarOutputCount: call.scalarOutputCount,
        structureOutput: null,
        structureOutputDescriptor,
        structureOutputMaximumSize: BigInt(call.structureOutputMaximumSize),
      };
      const queue = (userClient.CopyDispatchQueue(kIOUserClientQueueNameExternalMethod) ?? userClient.CopyDispatchQueue('Default')) as IODispatchQueue;
      let status: number;
      let message: string | null = null;
      try {
        status = await queue.DispatchSync(() => userClient.ExternalMethod(call.selector, args, null, null, null));
      } catch (e) {
        status = ioReturnFromException(e);
        message = errorReason(e);
      } finally {
        queue.release();
      }
      return finish(args, call, status >>> 0, message, structureOutputDescriptor);
    } catch (e) {
      return { status: ioReturnFromException(e), message: errorReason(e), scalarOutput: [], structureOutput: null, structureOutputLength: 0 };
    } finally {
      // The driver keeps a completion by retaining it; ours goes now.
      if (completion && completion.getRetainCount() > 1) keep(userClient, completion);
      completion?.release();
      for (const m of attached) m.close();
    }
  }

  /** Mirrors the system's side of IOConnectMapMemory64: `CopyClientMemoryForType`, as a shareable region. */
  static async copyMemory(userClient: IOUserClient, type: bigint): Promise<IOUserClientMemoryGrant> {
    const { options, memory } = await userClient.CopyClientMemoryForType(type);
    try {
      const ranges = memory.ranges();
      if (ranges.length !== 1 || ranges[0]!.memory.kind !== 'process' || !ranges[0]!.memory.name) {
        throw new IOReturnError(kIOReturnUnsupported, `${userClient.getClassName()}.CopyClientMemoryForType(${type}) gave memory an app cannot map (it must be one process-shared buffer)`);
      }
      const r = ranges[0]!;
      return { name: r.memory.name!, offset: r.offset, length: r.length, options };
    } finally {
      memory.release();
    }
  }
}

function keep(userClient: IOUserClient, completion: OSAction): void {
  let held = kept.get(userClient);
  if (!held) kept.set(userClient, (held = new Set()));
  // Completed and released ones are pruned as the set grows, so a long-lived client does not pile them up.
  if (held.size >= 64) for (const a of held) if (a.isFreed()) held.delete(a);
  held.add(completion);
}

function attach(name: string, attached: IOSharedMemory[]): IOSharedMemory {
  const m = IOSharedMemory.attach(name);
  attached.push(m);
  return m;
}

/** The app's memory as a descriptor of exactly `length` bytes (refusing a length beyond it). */
function region(memory: IOSharedMemory, direction: bigint, length: number, what: string): IOMemoryDescriptor {
  if (length > memory.length) throw new IOReturnError(kIOReturnBadArgument, `${what}: ${length} bytes declared, but the shared memory holds ${memory.length}`);
  const whole = IOBufferMemoryDescriptor.withSharedMemory(direction, memory);
  if (length === memory.length) return whole;
  const sub = IOMemoryDescriptor.CreateSubMemoryDescriptor(direction, 0, length, whole);
  whole.release();
  return sub;
}

function finish(args: IOUserClientMethodArguments, call: IOUserClientCall, status: number, message: string | null, outputDescriptor: IOMemoryDescriptor | null): IOUserClientCallResult {
  const result: IOUserClientCallResult = { status, message, scalarOutput: [], structureOutput: null, structureOutputLength: 0 };
  if (args.scalarOutputCount > call.scalarOutputCount || args.scalarOutputCount < 0) {
    return { ...result, status: kIOReturnBadArgument >>> 0, message: `the driver returned ${args.scalarOutputCount} scalars; the app asked for at most ${call.scalarOutputCount}` };
  }
  result.scalarOutput = args.scalarOutput.slice(0, args.scalarOutputCount).map((v) => BigInt.asUintN(64, BigInt(v)));
  const out = args.structureOutput;
  if (out) {
    // Apple's bridge refuses an OSData larger than the app's buffer.
    if (out.getLength() > call.structureOutputMaximumSize) {
      return { ...result, status: kIOReturnBadArgument >>> 0, message: `the driver returned a ${out.getLength()}-byte structure; the app's buffer holds ${call.structureOutputMaximumSize}` };
    }
    if (outputDescriptor) {
      outputDescriptor.writeBytes(0, out.getBytesNoCopy());
      result.structureOutputLength = out.getLength();
    } else result.structureOutput = Uint8Array.from(out.getBytesNoCopy());
  } else if (outputDescriptor) {
    result.structureOutputLength = Number(outputDescriptor.GetLength());
  }
  return result;
}
