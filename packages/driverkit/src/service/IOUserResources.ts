import { IOService } from './IOService';

/**
 * Mirrors `IOUserResources`: the provider of virtual drivers (NullDriver, Karabiner's virtual HID
 * device), which match it with `IOProviderClass = IOUserResources` and `IOResourceMatch = IOKit`.
 */
export class IOUserResources extends IOService {}
