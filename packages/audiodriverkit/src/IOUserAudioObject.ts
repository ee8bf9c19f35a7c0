import { OSObject, OSString } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import type { IOUserAudioObjectID } from './IOUserAudioTypes';

/**
 * Mirrors `IOUserAudioObject`: anything the audio system addresses by object ID (devices, streams,
 * controls, custom properties). Objects belong to the driver that created them; their state is
 * published in the driver's registry entry (`IOUserAudioObjects`) and refreshed on
 * `PropertiesChanged`.
 */
export class IOUserAudioObject extends OSObject {
  #driver: IOUserAudioDriver | null = null;
  #id: IOUserAudioObjectID = 0;
  #classID = 0;
  #name = '';

  /** @internal Binds the object to its driver, which numbers it. */
  protected bind(driver: IOUserAudioDriver, classID: number): void {
    this.#driver = driver;
    this.#classID = classID;
    this.#id = driver.allocateObjectID();
  }

  /** Mirrors `GetObjectID`. */
  GetObjectID(): IOUserAudioObjectID {
    return this.#id;
  }

  /** Mirrors `GetClassID` (an `IOUserAudioClassID`). */
  GetClassID(): number {
    return this.#classID;
  }

  /** Mirrors `SetName(OSString*)`. */
  SetName(name: OSString | string): void {
    this.#name = typeof name === 'string' ? name : name.getCStringNoCopy();
  }

  /** Mirrors `CopyName`. */
  CopyName(): string {
    return this.#name;
  }

  /** Tells the driver the object's state changed, so the registry shows it (as a property change notifies the HAL). */
  protected changed(): void {
    this.#driver?.PropertiesChanged(this.#id);
  }

  /** The driver the object belongs to. */
  GetDriver(): IOUserAudioDriver {
    return this.#driver!;
  }

  /** What the registry shows of the object. */
  describe(): Record<string, unknown> {
    return { ObjectID: this.#id, ClassID: this.#classID, Name: this.#name };
  }
}
