// The user client an app gets from IOServiceOpen on EduDriver: each selector checked by its dispatch
// entry (counts and sizes), then handed to the driver, which owns the device.

import { IOReturnError, IOService, IOUserClient, OSData, OSDynamicCast, kIOReturnBadArgument, kIOReturnNoDevice, kIOUserClientVariableStructureSize, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSObject } from '@driverkit/driverkit';
import type { EduDriver } from './EduDriver';
import { EduExternalMethod, kEduDMABufferSize } from './EduDriverShared';

const Log = (message: string) => console.log(`EduDriverUserClient - ${message}`);

const driverOf = (target: OSObject): EduDriver => {
  const uc = OSDynamicCast(EduDriverUserClient, target);
  if (!uc?.driver) throw new IOReturnError(kIOReturnNoDevice, 'EduDriverUserClient: no driver');
  return uc.driver;
};

const externalMethodChecks: IOUserClientMethodDispatch[] = [];
externalMethodChecks[EduExternalMethod.Factorial] = {
  function: async (target, _reference, args) => {
    const n = args.scalarInput[0]!;
    if (n > 0xffffffffn) throw new IOReturnError(kIOReturnBadArgument, `Factorial: ${n} does not fit the device's 32-bit register`);
    args.scalarOutput[0] = BigInt(await driverOf(target).Factorial(Number(n)));
  },
  checkCompletionExists: 0,
  checkScalarInputCount: 1,
  checkStructureInputSize: 0,
  checkScalarOutputCount: 1,
  checkStructureOutputSize: 0,
};
externalMethodChecks[EduExternalMethod.DMARoundTrip] = {
  function: async (target, _reference, args) => {
    const input = args.structureInput?.getBytesNoCopy() ?? null;
    if (input === null || input.length > kEduDMABufferSize) throw new IOReturnError(kIOReturnBadArgument, `DMARoundTrip: send 1 to ${kEduDMABufferSize} bytes in the structure input`);
    args.structureOutput = OSData.withBytes(await driverOf(target).DMARoundTrip(input));
  },
  checkCompletionExists: 0,
  checkScalarInputCount: 0,
  checkStructureInputSize: kIOUserClientVariableStructureSize,
  checkScalarOutputCount: 0,
  checkStructureOutputSize: kIOUserClientVariableStructureSize,
};
externalMethodChecks[EduExternalMethod.Status] = {
  function: (target, _reference, args) => {
    const s = driverOf(target).GetStatus();
    args.scalarOutput[0] = s.interruptCount;
    args.scalarOutput[1] = BigInt(s.identification);
  },
  checkCompletionExists: 0,
  checkScalarInputCount: 0,
  checkStructureInputSize: 0,
  checkScalarOutputCount: 2,
  checkStructureOutputSize: 0,
};
externalMethodChecks[EduExternalMethod.Liveness] = {
  function: (target, _reference, args) => {
    args.scalarOutput[0] = BigInt(driverOf(target).CheckLiveness(Number(args.scalarInput[0]! & 0xffffffffn)));
  },
  checkCompletionExists: 0,
  checkScalarInputCount: 1,
  checkStructureInputSize: 0,
  checkScalarOutputCount: 1,
  checkStructureOutputSize: 0,
};

export class EduDriverUserClient extends IOUserClient {
  driver: EduDriver | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    // The provider is the EduDriver that made this user client in NewUserClient.
    this.driver = provider as EduDriver;
    Log('Start() - an app opened the driver');
  }

  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, dispatch: IOUserClientMethodDispatch | null, target: OSObject | null, reference: unknown): Promise<number> {
    // Never index the table without checking the selector against its length.
    if (selector >= BigInt(EduExternalMethod.NumberOfExternalMethods)) return kIOReturnBadArgument;
    return super.ExternalMethod(selector, args, externalMethodChecks[Number(selector)]!, target ?? this, reference);
  }

  override async Stop(provider: IOService): Promise<void> {
    this.driver = null;
    await super.Stop(provider);
  }
}
