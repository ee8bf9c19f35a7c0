// SimpleAudioDriverUserClient: what the client app opens. Its methods toggle the device's sample
// rate (through a configuration change) and its input's data source.

import { IOReturnError, IOUserClient, kIOReturnBadArgument, kIOReturnNotReady, kIOReturnSuccess, type IOService, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSObject } from '@driverkit/driverkit';
import type { SimpleAudioDriver } from './SimpleAudioDriver';
import { SimpleAudioDriverExternalMethod } from './SimpleAudioDriverKeys';

export class SimpleAudioDriverUserClient extends IOUserClient {
  #provider: SimpleAudioDriver | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    this.#provider = provider as SimpleAudioDriver;
  }

  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, dispatch: IOUserClientMethodDispatch | null, target: OSObject | null, reference: unknown): Promise<number> {
    const driver = this.#provider;
    if (!driver) throw new IOReturnError(kIOReturnNotReady, 'SimpleAudioDriverUserClient has no driver');
    switch (Number(selector)) {
      case SimpleAudioDriverExternalMethod.Open:
      case SimpleAudioDriverExternalMethod.Close:
        return kIOReturnSuccess;
      case SimpleAudioDriverExternalMethod.TestConfigChange:
        await driver.HandleTestConfigChange();
        return kIOReturnSuccess;
      case SimpleAudioDriverExternalMethod.ToggleDataSource:
        return driver.HandleToggleDataSource();
      default:
        if (selector > 3n) return kIOReturnBadArgument;
        return super.ExternalMethod(selector, args, dispatch, target, reference);
    }
  }

  override async Stop(provider: IOService): Promise<void> {
    this.#provider = null;
    await super.Stop(provider);
  }
}
