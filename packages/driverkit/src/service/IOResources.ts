import { IOService } from './IOService';

/**
 * Mirrors `IOResources`: the nub under the root whose properties name the resources the system has
 * published (`IOKit` once the registry is up). Personalities wait for one with `IOResourceMatch`.
 */
export class IOResources extends IOService {}
