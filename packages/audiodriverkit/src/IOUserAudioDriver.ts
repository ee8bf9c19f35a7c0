import { IOReturnError, IOService, kIOReturnBadArgument, kIOReturnNotFound, kIOReturnNotReady, kIOReturnUnsupported, kIOServiceDefaultQueueName, toOSObject, type IODispatchQueue } from '@driverkit/driverkit';
import { AudioDeviceEngine } from './engine/AudioDeviceEngine';
import { IOUserAudioDevice } from './IOUserAudioDevice';
import type { IOUserAudioObject } from './IOUserAudioObject';
import { kIOUserAudioDriverUserClientType, kIOUserAudioObjectIDDriver, type IOUserAudioObjectID } from './IOUserAudioTypes';

/**
 * Mirrors `IOUserAudioDriver`: the service that owns a driver's audio objects. Adding a device
 * (`AddObject`) publishes it to the system's audio server (through the host, which owns the server
 * side and takes it away if the driver dies) and starts its I/O with `StartDevice`, since the
 * server's sink and source run for as long as the device is published; `RemoveObject` and `Stop` take
 * it away again. The objects' state and each device's underrun and overrun counts are in the
 * registry (`IOUserAudioObjects`), refreshed by `PropertiesChanged` and every second.
 */
export class IOUserAudioDriver extends IOService {
  static readonly className: string = 'IOUserAudioDriver';
  #nextID = kIOUserAudioObjectIDDriver + 1;
  readonly #objects = new Map<IOUserAudioObjectID, IOUserAudioObject>();
  readonly #engines = new Map<IOUserAudioDevice, AudioDeviceEngine>();
  #refresh: NodeJS.Timeout | null = null;

  /** @internal Numbers a new object. */
  allocateObjectID(): IOUserAudioObjectID {
    return this.#nextID++;
  }

  /** Mirrors `GetWorkQueue`: the queue configuration changes and the sample's timers run on. */
  GetWorkQueue(): IODispatchQueue {
    return this.CopyDispatchQueue(kIOServiceDefaultQueueName) as IODispatchQueue;
  }

  /** Mirrors `AddObject`: a device is published to the audio server and started. */
  async AddObject(object: IOUserAudioObject): Promise<void> {
    if (object.GetDriver() !== this) throw new IOReturnError(kIOReturnBadArgument, `AddObject: object ${object.GetObjectID()} belongs to another driver`);
    this.#objects.set(object.GetObjectID(), object.retain());
    if (object instanceof IOUserAudioDevice) {
      const engine = new AudioDeviceEngine(object, this.kernelLink());
      this.#engines.set(object, engine);
      object.configurationChanger = (change) => this.#reconfigure(object, change);
      try {
        await engine.publish();
        await this.StartDevice(object.GetObjectID(), 0);
      } catch (e) {
        await this.RemoveObject(object).catch(() => {});
        throw e;
      }
    }
    this.PropertiesChanged();
    this.#refresh ??= setInterval(() => this.PropertiesChanged(), 1000);
    this.#refresh.unref();
  }

  /** Mirrors `RemoveObject`: a device leaves the audio server. */
  async RemoveObject(object: IOUserAudioObject): Promise<void> {
    if (!this.#objects.delete(object.GetObjectID())) return;
    if (object instanceof IOUserAudioDevice) {
      const engine = this.#engines.get(object);
      // By the object, not its ID: the ID is gone from this driver's objects already, and a lookup by
      // it failed quietly here, leaving the device's I/O (and its timers) running after Stop.
      if (object.IsRunning()) await this.#stopDevice(object, 0).catch(() => {});
      this.#engines.delete(object);
      await engine?.unpublish();
      object.configurationChanger = null;
    }
    object.release();
    this.PropertiesChanged();
  }

  /** Mirrors `StartDevice(objectID, flags)`: calls the device's StartIO, then runs its I/O cycle. */
  async StartDevice(objectID: IOUserAudioObjectID, flags: number): Promise<void> {
    const device = this.#device(objectID);
    const r = await device.StartIO(flags);
    if (typeof r === 'number' && r >>> 0 !== 0) throw new IOReturnError(r >>> 0, `${device.CopyName() || device.GetDeviceUID()}: StartIO failed`);
    this.#engines.get(device)?.start();
  }

  /** Mirrors `StopDevice(objectID, flags)`. */
  async StopDevice(objectID: IOUserAudioObjectID, flags: number): Promise<void> {
    await this.#stopDevice(this.#device(objectID), flags);
  }

  async #stopDevice(device: IOUserAudioDevice, flags: number): Promise<void> {
    this.#engines.get(device)?.stop();
    await device.StopIO(flags);
  }

  /**
   * Mirrors `IOUserAudioDriver::NewUserClient(type)`. On macOS `kIOUserAudioDriverUserClientType` is
   * the HAL's own connection; here the audio server's side lives in the host, so no app may open that
   * type. A driver's other types are its own (Apple's samples create them from a properties key).
   */
  override async NewUserClient(type: number): Promise<IOService> {
    if (type === kIOUserAudioDriverUserClientType) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()}: the HAL's user client (kIOUserAudioDriverUserClientType) is the host's side of the audio server and is not opened by apps`);
    return super.NewUserClient(type);
  }

  /** Mirrors `PropertiesChanged(objectID, addresses, count)`: the registry shows the objects as they are now. */
  PropertiesChanged(_objectID: IOUserAudioObjectID = kIOUserAudioObjectIDDriver, ..._addresses: unknown[]): void {
    // Objects are made (and their first values set) before the driver adds them: nothing to show yet.
    if (this.#objects.size === 0 && !this.getProperty('IOUserAudioObjects')) return;
    const objects = [...this.#objects.values()].map((o) => {
      const d = o.describe();
      const engine = o instanceof IOUserAudioDevice ? this.#engines.get(o) : undefined;
      if (engine) d.Statistics = { Underruns: engine.stats.underruns, Overruns: engine.stats.overruns, FramesOut: engine.stats.framesOut, FramesIn: engine.stats.framesIn };
      return d;
    });
    this.setProperty('IOUserAudioObjects', toOSObject(objects as never));
  }

  /** The I/O statistics of a published device (underruns, overruns, frames moved). */
  statisticsOf(device: IOUserAudioDevice) {
    const e = this.#engines.get(device);
    if (!e) throw new IOReturnError(kIOReturnNotFound, `${device.GetDeviceUID()} is not published by this driver`);
    return { ...e.stats };
  }

  /** A configuration change: I/O stops, the change is made, the device is published again as it now is, I/O restarts. */
  async #reconfigure(device: IOUserAudioDevice, change: () => Promise<void>): Promise<void> {
    const engine = this.#engines.get(device);
    if (!engine) throw new IOReturnError(kIOReturnNotReady, `${device.GetDeviceUID()} is not published`);
    await this.StopDevice(device.GetObjectID(), 0);
    await engine.unpublish();
    const next = new AudioDeviceEngine(device, this.kernelLink());
    // Counts carry across: a change is not a new device.
    Object.assign(next.stats, engine.stats);
    this.#engines.set(device, next);
    try {
      await change();
    } finally {
      await next.publish();
      await this.StartDevice(device.GetObjectID(), 0);
      this.PropertiesChanged();
    }
  }

  #device(objectID: IOUserAudioObjectID): IOUserAudioDevice {
    const o = this.#objects.get(objectID);
    if (!(o instanceof IOUserAudioDevice)) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no device ${objectID}`);
    return o;
  }

  override async Stop(provider: IOService): Promise<void> {
    if (this.#refresh) clearInterval(this.#refresh);
    this.#refresh = null;
    for (const device of [...this.#engines.keys()]) await this.RemoveObject(device).catch(() => {});
    for (const o of this.#objects.values()) o.release();
    this.#objects.clear();
    await super.Stop(provider);
  }
}
