// NullDriver: a DriverKit driver with no hardware that answers its client app's calls, ported from
// Apple's sample "Communicating between a DriverKit extension and a client app". It is both the
// service (matched on IOUserResources) and, through UserClientProperties, each app's user client.

import {
  IODispatchQueue,
  IOService,
  IOTimerDispatchSource,
  IOUserClient,
  OSAction,
  OSData,
  clock_gettime_nsec_np,
  kIOReturnBadArgument,
  kIOReturnError,
  kIOReturnSuccess,
  kIOTimerClockMonotonicRaw,
  kIOUserClientVariableStructureSize,
  type IOMemoryMap,
  type IOUserClientMethodArguments,
  type IOUserClientMethodDispatch,
  type OSObject,
} from '@driverkit/driverkit';
import { ExternalMethodType, readDataStruct, sizeofDataStruct, sizeofOversizedDataStruct, writeDataStruct, type DataStruct } from './NullDriverShared';

// Every line starts with the driver's name, so its log is easy to pick out of the host's.
const Log = (message: string) => console.log(`NullDriver - ${message}`);

const externalMethodChecks: IOUserClientMethodDispatch[] = [];
// Scalar and Struct are left out on purpose: they are called directly, to show what unchecked
// handling must do by hand. Prefer the checked entries, which the framework validates before the call.
externalMethodChecks[ExternalMethodType.CheckedScalar] = {
  function: (target, reference, args) => NullDriver.StaticHandleExternalCheckedScalar(target, reference, args),
  checkCompletionExists: 0, // no callback: the call must not carry a completion
  checkScalarInputCount: 16,
  checkStructureInputSize: 0,
  checkScalarOutputCount: 16,
  checkStructureOutputSize: 0,
};
externalMethodChecks[ExternalMethodType.CheckedStruct] = {
  function: (target, reference, args) => NullDriver.StaticHandleExternalCheckedStruct(target, reference, args),
  checkCompletionExists: 0,
  checkScalarInputCount: 0,
  checkStructureInputSize: sizeofDataStruct, // an exact size is safer than a variable one
  checkScalarOutputCount: 0,
  checkStructureOutputSize: sizeofDataStruct,
};
externalMethodChecks[ExternalMethodType.RegisterAsyncCallback] = {
  function: (target, reference, args) => NullDriver.StaticRegisterAsyncCallback(target, reference, args),
  checkCompletionExists: 1,
  checkScalarInputCount: 0,
  checkStructureInputSize: sizeofDataStruct,
  checkScalarOutputCount: 0,
  checkStructureOutputSize: sizeofDataStruct,
};
externalMethodChecks[ExternalMethodType.AsyncRequest] = {
  function: (target, reference, args) => NullDriver.StaticHandleAsyncRequest(target, reference, args),
  checkCompletionExists: kIOUserClientVariableStructureSize, // completion or not, either is fine
  checkScalarInputCount: 0,
  checkStructureInputSize: sizeofDataStruct,
  checkScalarOutputCount: 0,
  checkStructureOutputSize: 0,
};

interface NullDriver_IVars {
  callbackAction: OSAction | null;
  dispatchQueue: IODispatchQueue | null;
  dispatchSource: IOTimerDispatchSource | null;
  simulatedAsyncDeviceResponseAction: OSAction | null;
}

const fiveSecondsInNanoSeconds = 5_000_000_000n;
const twoSecondsInNanoSeconds = 2_000_000_000n;

export class NullDriver extends IOUserClient {
  ivars!: NullDriver_IVars;

  // MARK: Dext Lifecycle Management
  override init(): boolean {
    Log('init()');
    if (!super.init()) {
      Log('init() - super::init failed.');
      return false;
    }
    this.ivars = { callbackAction: null, dispatchQueue: null, dispatchSource: null, simulatedAsyncDeviceResponseAction: null };
    Log('init() - Finished.');
    return true;
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);

    this.ivars.dispatchQueue = IODispatchQueue.Create('NullDriverDispatchQueue', 0, 0);
    this.ivars.dispatchSource = IOTimerDispatchSource.Create(this.ivars.dispatchQueue);

    // The timer stands in for a device answering later; its action keeps the request's data in its
    // reference bytes until then.
    this.ivars.simulatedAsyncDeviceResponseAction = OSAction.Create(this, 'SimulatedAsyncEvent', sizeofDataStruct);
    this.ivars.dispatchSource.SetHandler(this.ivars.simulatedAsyncDeviceResponseAction);

    this.RegisterService();
    Log('Start() - Finished.');
  }

  override Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    const pending = [this.ivars.simulatedAsyncDeviceResponseAction, this.ivars.dispatchSource, this.ivars.dispatchQueue, this.ivars.callbackAction].filter((c) => c !== null);
    if (pending.length === 0) {
      Log('Stop() - Finished.');
      return super.Stop(provider) as Promise<void>;
    }
    // Cancel everything, and let the last cancel handler finish the stop, as the original does.
    let cancelCount = pending.length;
    this.retain();
    provider.retain();
    return new Promise((resolve, reject) => {
      const finalize = () => {
        if (--cancelCount > 0) return;
        Promise.resolve(super.Stop(provider))
          .then(() => Log('Stop() - Finished.'), reject)
          .finally(() => {
            this.release();
            provider.release();
            resolve();
          });
      };
      for (const c of pending) c.Cancel(finalize);
      Log('Stop() - Cancels started, they will stop the dext later.');
    });
  }

  override free(): void {
    Log('free()');
    this.ivars?.simulatedAsyncDeviceResponseAction?.release();
    this.ivars?.dispatchSource?.release();
    this.ivars?.dispatchQueue?.release();
    this.ivars?.callbackAction?.release();
    super.free();
  }

  // When an app attaches to the dext with IOServiceOpen, the system calls this.
  override async NewUserClient(_type: number): Promise<IOService> {
    Log('NewUserClient()');
    const client = await this.Create(this, 'UserClientProperties');
    if (!(client instanceof IOUserClient)) {
      Log('NewUserClient() - Failed to cast new client.');
      client.release();
      throw new Error('the UserClientProperties class is not an IOUserClient');
    }
    Log('NewUserClient() - Finished.');
    return client;
  }

  // MARK: ExternalMethod Handler
  // Called for every IOConnectCall…Method. Trust nothing an app sends: sizes and counts are how a
  // driver gets attacked.
  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, dispatch: IOUserClientMethodDispatch | null, target: OSObject | null, reference: unknown): Promise<number> {
    if (selector >= BigInt(ExternalMethodType.CheckedScalar)) {
      // Never index the table without checking the selector against its length.
      if (selector < BigInt(ExternalMethodType.NumberOfExternalMethods)) {
        dispatch = externalMethodChecks[Number(selector)]!;
        target ??= this;
      }
      return super.ExternalMethod(selector, args, dispatch, target, reference);
    }
    switch (Number(selector)) {
      case ExternalMethodType.Scalar:
        return this.HandleExternalScalar(args);
      case ExternalMethodType.Struct:
        return this.HandleExternalStruct(args);
      default:
        return kIOReturnBadArgument;
    }
  }

  // MARK: Unsafe External Handlers
  HandleExternalScalar(args: IOUserClientMethodArguments): number {
    Log('Got action type scalar');
    // The counts could be spoofed: limit both to what the original allows.
    let inputCount = args.scalarInputCount;
    if (inputCount > 16) {
      Log('Only allowing a maximum number of 16 inputs.');
      inputCount = 16;
    }
    let outputCount = args.scalarOutputCount;
    if (outputCount > 16) {
      Log('Only allowing a maximum number of 16 outputs.');
      outputCount = 16;
    }
    // The smaller of the two, so neither side is overrun.
    const iterCount = Math.min(inputCount, outputCount);
    for (let index = 0; index < iterCount; ++index) {
      args.scalarOutput[index] = args.scalarInput[index]! + 1n;
      Log(`${args.scalarInput[index]} ${args.scalarOutput[index]}`);
    }
    return kIOReturnSuccess;
  }

  HandleExternalStruct(args: IOUserClientMethodArguments): number {
    Log('Got action type struct');
    let input: DataStruct;
    let inputMap: IOMemoryMap | null = null;
    let outputMap: IOMemoryMap | null = null;
    try {
      if (args.structureInput !== null) {
        if (args.structureInput.getLength() < sizeofDataStruct) return kIOReturnBadArgument;
        input = readDataStruct(args.structureInput.getBytesNoCopy());
      } else if (args.structureInputDescriptor !== null) {
        inputMap = args.structureInputDescriptor.CreateMapping(0, 0, 0, 0, 0);
        if (inputMap.GetLength() < BigInt(sizeofDataStruct)) return kIOReturnBadArgument;
        input = readDataStruct(inputMap.read(0, sizeofDataStruct));
      } else {
        Log('Both structureInput and structureInputDescriptor were null.');
        return kIOReturnBadArgument;
      }
      Log(`Input - ${input.foo}, ${input.bar}`);

      const output: DataStruct = { foo: input.foo + 1n, bar: input.bar + 10n };
      Log(`Output - ${output.foo}, ${output.bar}`);

      // The driver makes its own OSData for the answer, or writes into the app's large buffer.
      if (args.structureOutputDescriptor !== null) {
        if (BigInt(sizeofOversizedDataStruct) > args.structureOutputMaximumSize) {
          Log(`Required output size of ${sizeofOversizedDataStruct} is larger than the given maximum size of ${args.structureOutputMaximumSize}. Failing.`);
          return kIOReturnBadArgument;
        }
        outputMap = args.structureOutputDescriptor.CreateMapping(0, 0, 0, 0, 0);
        const bytes = new Uint8Array(sizeofOversizedDataStruct);
        writeDataStruct(output, bytes); // the rest stays zero
        outputMap.write(0, bytes);
      } else {
        args.structureOutput = OSData.withBytes(writeDataStruct(output));
      }
      return kIOReturnSuccess;
    } finally {
      inputMap?.release();
      outputMap?.release();
    }
  }

  // MARK: Static External Handlers
  static StaticHandleExternalCheckedScalar(target: OSObject, reference: unknown, args: IOUserClientMethodArguments): number {
    if (!(target instanceof NullDriver)) return kIOReturnError;
    return target.HandleExternalCheckedScalar(reference, args);
  }

  static StaticHandleExternalCheckedStruct(target: OSObject, reference: unknown, args: IOUserClientMethodArguments): number {
    if (!(target instanceof NullDriver)) return kIOReturnError;
    return target.HandleExternalCheckedStruct(reference, args);
  }

  static StaticRegisterAsyncCallback(target: OSObject, reference: unknown, args: IOUserClientMethodArguments): number {
    if (!(target instanceof NullDriver)) return kIOReturnError;
    return target.RegisterAsyncCallback(reference, args);
  }

  static StaticHandleAsyncRequest(target: OSObject, reference: unknown, args: IOUserClientMethodArguments): number {
    if (!(target instanceof NullDriver)) return kIOReturnError;
    return target.HandleAsyncRequest(reference, args);
  }

  // MARK: Safer External Handlers (the dispatch table already checked the arguments)
  HandleExternalCheckedScalar(_reference: unknown, args: IOUserClientMethodArguments): number {
    Log('Got action type checked scalar');
    for (let index = 0; index < args.scalarOutputCount; ++index) {
      args.scalarOutput[index] = args.scalarInput[index]! + 1n;
      Log(`${args.scalarInput[index]} ${args.scalarOutput[index]}`);
    }
    return kIOReturnSuccess;
  }

  HandleExternalCheckedStruct(_reference: unknown, args: IOUserClientMethodArguments): number {
    Log('Got action type checked struct');
    const input = readDataStruct(args.structureInput!.getBytesNoCopy());
    const output: DataStruct = { foo: input.foo + 1n, bar: input.bar + 10n };
    args.structureOutput = OSData.withBytes(writeDataStruct(output));
    return kIOReturnSuccess;
  }

  RegisterAsyncCallback(_reference: unknown, args: IOUserClientMethodArguments): number {
    Log('Got new async callback');
    if (args.completion === null) {
      Log('Got a null completion.');
      return kIOReturnBadArgument;
    }
    // Keep the completion: without a reference of its own the driver would lose it after the call.
    this.ivars.callbackAction?.release();
    this.ivars.callbackAction = args.completion.retain();

    // Answered at once as well, for the sake of the example.
    const input = readDataStruct(args.structureInput!.getBytesNoCopy());
    writeDataStruct(input, this.ivars.simulatedAsyncDeviceResponseAction!.GetReference());
    args.structureOutput = OSData.withBytes(writeDataStruct({ foo: input.foo + 1n, bar: input.bar + 10n }));

    this.#armSimulatedResponse();
    return kIOReturnSuccess;
  }

  HandleAsyncRequest(_reference: unknown, args: IOUserClientMethodArguments): number {
    Log('Got action type async.');
    // This runs while the app waits: check quickly, and leave the work to the timer.
    const input = readDataStruct(args.structureInput!.getBytesNoCopy());
    if (this.ivars.callbackAction === null) {
      Log('Callback action not available.');
      return kIOReturnError;
    }
    writeDataStruct(input, this.ivars.simulatedAsyncDeviceResponseAction!.GetReference());
    this.#armSimulatedResponse();
    return kIOReturnSuccess;
  }

  // Wakes five to seven seconds from now, as a slow device would answer.
  #armSimulatedResponse(): void {
    const currentTime = clock_gettime_nsec_np(kIOTimerClockMonotonicRaw);
    Log('Sleeping async...');
    this.ivars.dispatchSource!.WakeAtTime(kIOTimerClockMonotonicRaw, currentTime + fiveSecondsInNanoSeconds, twoSecondsInNanoSeconds);
  }

  // MARK: SimulatedAsyncEvent Callback
  SimulatedAsyncEvent(action: OSAction, time: bigint): void {
    Log(`Woke async at time: ${time}!`);
    // The request's data, kept in the action since the call.
    const input = readDataStruct(action.GetReference());
    const output: DataStruct = { foo: input.foo + 1n, bar: input.bar + 10n };
    // The leading 2 tells the app what kind of message follows; then the two fields of the answer.
    const asyncData = [2n, output.foo, output.bar];
    if (this.ivars.callbackAction !== null) this.AsyncCompletion(this.ivars.callbackAction, kIOReturnSuccess, asyncData);
  }
}
