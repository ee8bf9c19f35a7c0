import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { IOReturnError, errorReason, ioReturnFromException, isIOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached, kIOReturnNotPermitted, kIOReturnTimeout, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { messageNumber, messageString } from '../ipc/IOMessageFields';
import { IORequestTracker, requestMessage } from '../ipc/IORequestTracker';
import { describeService, readServiceDescription } from '../ipc/IOServiceDescription';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { toOSDictionary } from '../os/OSValue';
import type { IODriverModule } from '../server/IOUserServerRuntime';
import { highestPowerState, publishedPowerState, type IOService } from '../service/IOService';
import { decodeResult, encodeCall } from '../userclient/IOUserClientCall';
import type { IOUserClientCompletionSink } from '../userclient/IOUserClient';
import type { IOUserClientHandle, IOUserServerHandle } from './IOUserServerHandle';
import { IOUserServiceProxy } from './IOUserServiceProxy';
import { isRemoteCallTarget, type IORemoteCaller } from '../server/IORemoteProvider';
import { IOSharedMemory } from '../memory/IOSharedMemory';
import { IOKernelClassTable, IOKernelServiceSet } from './IOKernelClass';
import type { IOStateNotificationCenter } from './IOStateNotificationCenter';
import type { IOHostActivity } from './IOHostActivity';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const CALL_TIMEOUT_MS = 60_000;
const EXIT_GRACE_MS = 2_000;

export interface IOUserServerProcessOptions {
  log: (line: string) => void;
  /** Called once if the process ends without being asked to. */
  onExit: (server: IOUserServerProcess, why: string) => void;
  /** The kernel classes the host's families provide (the halves of services whose IOClass they name). */
  kernelClasses?: IOKernelClassTable;
  /** The driver package's entitlements, for the kernel classes to check. */
  entitlements?: OSDictionary;
  /** The host's state notification items. */
  stateNotifications?: IOStateNotificationCenter;
  /** Where the host counts the calls the process's drivers make on their providers. */
  activity?: IOHostActivity;
}

/** The driver-process entry point, through the package's own exports so it shares the driver's copy of the core. */
function serverMainPath(): string {
  return createRequire(import.meta.url).resolve('@driverkit/driverkit/server');
}

/**
 * A driver server in its own OS process (Apple's IOUserServer and its dext process). The host
 * talks to it over a socket pair (the child's descriptor 3) in OSSerializeBinary frames: start and
 * terminate services, property and registration updates. The child's stdout and stderr become the
 * host's log lines, prefixed with the server name and pid.
 */
export class IOUserServerProcess implements IOUserServerHandle {
  readonly #child: ChildProcess;
  readonly #channel: IOMessageChannel;
  readonly #requests = new IORequestTracker();
  readonly #proxies = new Map<string, IOUserServiceProxy>();
  readonly #unfollow = new Map<string, () => void>();
  /** The provider of each of this process's services, by service key. */
  readonly #providerOf = new Map<string, IOService>();
  /**
   * The nubs this process may call, by registry id: providers of its services, counted from the
   * moment a start is sent (Start may already call them) until the last of those services is gone.
   */
  readonly #callable = new Map<bigint, { nub: IOService; uses: number }>();
  /** This process as a caller of each nub it has called, with the cleanups to run when it is gone. */
  readonly #callers = new Map<IOService, { caller: IORemoteCaller; cleanups: Array<() => void> }>();
  /** Async completions still expected, by `userClient/call`. */
  readonly #completions = new Map<string, IOUserClientCompletionSink>();
  /** The properties of every service this process was asked to start: what a kernel call may claim to be. */
  readonly #startedAs: OSDictionary[] = [];
  readonly #kernel: IOKernelServiceSet<string>;
  /** This process as the caller of its services' kernel halves. */
  readonly #kernelCaller: { caller: IORemoteCaller; cleanups: Array<() => void> };
  /** The state notification watches this process holds, by its watch id. */
  readonly #watches = new Map<number, () => void>();
  #dead = false;
  #exiting = false;
  readonly #exited: Promise<void>;

  constructor(
    readonly name: string,
    driver: IODriverModule,
    private readonly options: IOUserServerProcessOptions,
  ) {
    this.#child = spawn(process.execPath, [serverMainPath()], {
      // A session of its own: a terminal's Ctrl-C (or a signal to the host's process group) must reach
      // the host only, which then stops each driver in Apple's order. A driver never outlives the host:
      // it exits, after terminating its services, when its channel to the host closes.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its data-queue listeners each park a threadpool thread (see bin/driverkit.mjs).
      env: { UV_THREADPOOL_SIZE: '32', ...process.env, DRIVERKIT_SERVER_NAME: name },
    });
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.log(`[${name} ${this.#child.pid}] ${line}`));
    }
    this.#kernel = new IOKernelServiceSet(options.kernelClasses ?? new IOKernelClassTable(), options.log, options.activity ? (label, read) => options.activity!.source(label, read) : undefined);
    const kernelCleanups: Array<() => void> = [];
    this.#kernelCaller = { caller: { key: `${name}:${this.#child.pid}`, onGone: (f) => void kernelCleanups.push(f) }, cleanups: kernelCleanups };
    this.#channel = new IOMessageChannel(this.#child.stdio[3] as Socket);
    this.#channel.onMessage = (m) => this.#receive(m);
    this.#channel.onClose = (e) => e && options.log(`[${name}] channel closed: ${e.message}`);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#dead = true;
        // A driver killed or crashed skipped its exit hook: its shared-memory files are the host's to remove.
        if (this.#child.pid) IOSharedMemory.removeStale(this.#child.pid);
        const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.#requests.failAll(`the driver process ${why}`);
        this.#completions.clear();
        for (const unlisten of this.#unfollow.values()) unlisten();
        this.#unfollow.clear();
        this.#providerOf.clear();
        this.#callable.clear();
        for (const nub of [...this.#callers.keys()]) this.#callerGone(nub);
        void this.#kernel.releaseAll();
        for (const stop of this.#watches.values()) stop();
        this.#watches.clear();
        for (const cleanup of this.#kernelCaller.cleanups.splice(0)) cleanup();
        for (const p of this.#startedAs.splice(0)) p.release();
        if (!this.#exiting) options.onExit(this, why);
        resolve();
      });
    });
    this.#child.once('error', (e) => options.log(`[${name}] cannot start the driver process: ${e.message}`));
    const init = OSDictionary.withCapacity(4);
    init.setObject('op', 'init');
    init.setObject('name', name);
    init.setObject('bundleIdentifier', driver.bundleIdentifier);
    if (driver.modulePath) init.setObject('modulePath', driver.modulePath);
    if (driver.directory) init.setObject('bundlePath', driver.directory);
    this.#channel.send(init);
    init.release();
  }

  get pid(): number | null {
    return this.#child.pid ?? null;
  }

  isDead(): boolean {
    return this.#dead;
  }

  async startService(properties: OSDictionary, provider: IOService): Promise<IOService> {
    if (this.#dead) throw new IOReturnError(kIOReturnNotAttached, `driver server ${this.name} is not running`);
    const { rid, reply } = this.#requests.begin(`starting ${String((properties.getObject('IOUserClass') as OSString | null)?.getCStringNoCopy())} in ${this.name}`, START_TIMEOUT_MS);
    const p = describeService(provider);
    const m = requestMessage('start', rid, { properties, provider: p });
    p.release();
    this.#startedAs.push(properties.copyCollection());
    this.#useProvider(provider);
    let answer: OSDictionary;
    try {
      this.#channel.send(m);
      answer = await reply;
    } catch (e) {
      this.#unuseProvider(provider);
      throw e;
    } finally {
      m.release();
    }
    const desc = readServiceDescription(answer.getObject('service'));
    const ioClass = properties.getObject('IOClass');
    const key = desc.id.toString();
    const proxy = new IOUserServiceProxy(ioClass instanceof OSString ? ioClass.getCStringNoCopy() : 'IOUserService', {
      stop: () => this.#stopRemote(key),
      setPowerState: (flags) => this.#call('power', { service: key, flags }).then(() => {}),
      clientPowerChanged: () => {
        if (this.#dead || this.#channel.isClosed()) return;
        const note = requestMessage('clientPower', 0, { service: key });
        this.#channel.send(note);
        note.release();
      },
    });
    proxy.setName(desc.name);
    proxy.setProperties(desc.properties);
    proxy.setProperty('IOUserServerPID', OSNumber.withNumber(this.#child.pid ?? 0, 32));
    await proxy.startWithProvider(provider, null);
    this.#proxies.set(key, proxy);
    this.#providerOf.set(key, provider);
    this.#followProvider(key, provider);
    if (answer.getObject('registered') instanceof OSBoolean && (answer.getObject('registered') as OSBoolean).isTrue()) proxy.RegisterService();
    return proxy;
  }

  /** Asks the driver process to terminate the real service; a dead process counts as done. */
  async #stopRemote(key: string): Promise<void> {
    this.#forget(key);
    if (this.#dead) return;
    // A turn of the event loop first: replies to provider calls the nub has just ended (a device gone ends
    // its transfers) settle through promise chains, and must reach the driver ahead of the terminate.
    await new Promise((r) => setImmediate(r));
    try {
      await this.#call('terminate', { service: key });
    } catch (e) {
      if (!this.#dead) this.options.log(`[${this.name}] ${(e as Error).message}`);
    }
  }

  /** Drops a service's proxy; when it was this process's last service on its provider, the process stops being that nub's caller. */
  #forget(key: string): void {
    this.#proxies.delete(key);
    void this.#kernel.release(key);
    this.#unfollow.get(key)?.();
    this.#unfollow.delete(key);
    const provider = this.#providerOf.get(key);
    this.#providerOf.delete(key);
    if (provider) this.#unuseProvider(provider);
  }

  #useProvider(provider: IOService): void {
    const id = provider.GetRegistryEntryID();
    const entry = this.#callable.get(id) ?? { nub: provider, uses: 0 };
    entry.uses++;
    this.#callable.set(id, entry);
  }

  /** One use fewer; after the last, the process may no longer call the nub and stops being its caller. */
  #unuseProvider(provider: IOService): void {
    const id = provider.GetRegistryEntryID();
    const entry = this.#callable.get(id);
    if (!entry || --entry.uses > 0) return;
    this.#callable.delete(id);
    this.#callerGone(provider);
  }

  #callerGone(nub: IOService): void {
    const entry = this.#callers.get(nub);
    this.#callers.delete(nub);
    for (const cleanup of entry?.cleanups ?? []) {
      try {
        cleanup();
      } catch (e) {
        this.options.log(`[${this.name}] releasing ${nub.getName()} failed: ${(e as Error).message}`);
      }
    }
  }

  /** A driver's call on its provider's nub (IORemoteCallTarget); only providers of this process's services answer. */
  #providerCall(m: OSDictionary): void {
    const rid = messageNumber(m, 'rid') ?? 0;
    const id = m.getObject('provider');
    const method = messageString(m, 'method');
    const args = m.getObject('args');
    const nub = id instanceof OSNumber ? this.#callable.get(id.unsigned64BitValue())?.nub : undefined;
    this.#answer(rid, async () => {
      if (!nub) throw new IOReturnError(kIOReturnNotPermitted, 'providerCall: that service is not a provider of this driver process');
      if (!method || !(args instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'providerCall: no method name or arguments');
      if (!isRemoteCallTarget(nub)) throw new IOReturnError(kIOReturnUnsupported, `${nub.getName()} (${nub.getClassName()}) takes no calls from driver processes`);
      let entry = this.#callers.get(nub);
      if (!entry) {
        const cleanups: Array<() => void> = [];
        entry = { caller: { key: `${this.name}:${this.pid}`, onGone: (f) => void cleanups.push(f) }, cleanups };
        this.#callers.set(nub, entry);
      }
      this.options.activity?.count('provider calls', `${nub.getName()}.${method}`);
      return nub.handleRemoteCall(method, args, entry.caller);
    });
  }

  /**
   * A driver service's call on its own kernel half (the object of its personality's IOClass). The
   * service names the IOClass and IOUserClass it was started as; only a pair this process was asked to
   * start is believed.
   */
  #serviceCall(m: OSDictionary): void {
    const rid = messageNumber(m, 'rid') ?? 0;
    const key = messageString(m, 'service');
    const method = messageString(m, 'method');
    const ioClass = messageString(m, 'ioClass');
    const userClass = messageString(m, 'userClass');
    const args = m.getObject('args');
    this.#answer(rid, async () => {
      if (!key || !method || !ioClass || !(args instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'serviceCall: no service, IOClass, method name or arguments');
      const describe = () => {
        const properties = this.#startedAs.find((p) => (p.getObject('IOClass') as OSString | null)?.getCStringNoCopy?.() === ioClass && (p.getObject('IOUserClass') as OSString | null)?.getCStringNoCopy?.() === userClass);
        return properties ? { ioClass, properties, entitlements: this.options.entitlements ?? OSDictionary.withCapacity(0) } : null;
      };
      return this.#kernel.call(key, method, args, this.#kernelCaller.caller, describe);
    });
  }

  /** StateNotificationItemCreate/Set/Copy and the watches of this process's state notification sources. */
  #stateItem(m: OSDictionary): void {
    const action = messageString(m, 'action');
    const name = messageString(m, 'name') ?? '';
    const value = m.getObject('value');
    const caller = { name: this.name, entitlements: this.options.entitlements ?? OSDictionary.withCapacity(0) };
    this.#answer(messageNumber(m, 'rid') ?? 0, async () => {
      const states = this.options.stateNotifications;
      if (!states) throw new IOReturnError(kIOReturnUnsupported, 'this host keeps no state notification items');
      const dictionary = value instanceof OSDictionary ? value : null;
      const result = OSDictionary.withCapacity(1);
      if (action === 'create') states.create(name, dictionary, caller);
      else if (action === 'set') states.set(name, dictionary ?? OSDictionary.withCapacity(0), caller);
      else if (action === 'copy') {
        const v = states.copy(name, caller);
        result.setObject('value', v);
        v.release();
      } else if (action === 'watch' || action === 'unwatch') {
        const watch = messageNumber(m, 'watch') ?? 0;
        this.#watches.get(watch)?.();
        this.#watches.delete(watch);
        const names = m.getObject('names');
        if (action === 'watch' && names instanceof OSArray) {
          const list = [...names].filter((n): n is OSString => n instanceof OSString).map((n) => n.getCStringNoCopy());
          this.#watches.set(
            watch,
            states.watch(list, (changed) => {
              if (this.#dead || this.#channel.isClosed()) return;
              const note = requestMessage('stateChanged', 0, { watch, name: changed });
              this.#channel.send(note);
              note.release();
            }),
          );
        }
      } else throw new IOReturnError(kIOReturnBadArgument, `state notification: no action ${action}`);
      return result;
    });
  }

  /** CopyProviderProperties for a provider of this process's services: it and each provider above it. */
  #providerChain(m: OSDictionary): void {
    const id = m.getObject('provider');
    const keys = m.getObject('keys');
    const nub = id instanceof OSNumber ? this.#callable.get(id.unsigned64BitValue())?.nub : undefined;
    this.#answer(messageNumber(m, 'rid') ?? 0, async () => {
      if (!nub) throw new IOReturnError(kIOReturnNotPermitted, 'CopyProviderProperties: that service is not a provider of this driver process');
      const wanted = keys instanceof OSArray ? [...keys].filter((k): k is OSString => k instanceof OSString).map((k) => k.getCStringNoCopy()) : null;
      const chain = OSArray.withCapacity(4);
      for (let e: IOService | null = nub; e; e = e.GetProvider()) {
        const props = e.copyProperties();
        const d = OSDictionary.withCapacity(wanted?.length ?? props.getCount());
        for (const [k, v] of props.entries()) if (!wanted || wanted.includes(k)) d.setObject(k, v);
        chain.setObject(d);
        d.release();
        props.release();
      }
      const result = OSDictionary.withCapacity(1);
      result.setObject('chain', chain);
      chain.release();
      return result;
    });
  }

  /** The highest power state among the power-managed clients of one of this process's services. */
  #clientPowerState(m: OSDictionary): void {
    const key = messageString(m, 'service');
    this.#answer(messageNumber(m, 'rid') ?? 0, async () => {
      const proxy = key ? this.#proxies.get(key) : undefined;
      // A service still in its Start has no clients yet.
      const state = proxy ? highestPowerState(proxy.getChildEntries().map((c) => publishedPowerState(c))) : null;
      return state === null ? null : toOSDictionary({ state });
    });
  }

  /** Runs a driver process's call and sends its reply: the result, or the error's kIOReturn and reason. */
  #answer(rid: number, work: () => Promise<OSDictionary | null>): void {
    const send = (fields: Record<string, OSObject | string | number>) => {
      if (this.#dead || this.#channel.isClosed()) return;
      const r = requestMessage('reply', rid, fields);
      this.#channel.send(r);
      r.release();
    };
    work().then(
      (result) => {
        send({ status: 0, result: result ?? OSDictionary.withCapacity(0) });
        result?.release();
      },
      (e) => send({ status: ioReturnFromException(e), message: errorReason(e) }),
    );
  }

  /** One request about a service or user client (named in `fields`), answered by the driver process. */
  #call(op: string, fields: Record<string, OSObject | string | number | bigint>): Promise<OSDictionary> {
    if (this.#dead) return Promise.reject(new IOReturnError(kIOReturnNotAttached, `driver server ${this.name} is not running`));
    const m = requestMessage(op, 0, fields);
    const { rid, reply } = this.#requests.begin(`${op} in ${this.name}`, STOP_TIMEOUT_MS);
    m.setObject('rid', rid);
    try {
      this.#channel.send(m);
    } catch (e) {
      this.#requests.failAll(`the driver process is unreachable (${(e as Error).message})`);
    } finally {
      m.release();
    }
    return reply;
  }

  /** Keeps the driver process's copy of the provider's properties current. */
  #followProvider(key: string, provider: IOService): void {
    const registry = provider.getRegistry();
    if (!registry) return;
    const unlisten = registry.listen({
      propertiesChanged: (entry) => {
        if (entry !== provider || this.#dead || this.#channel.isClosed()) return;
        const m = OSDictionary.withCapacity(3);
        m.setObject('op', 'providerProperties');
        m.setObject('provider', provider.GetRegistryEntryID());
        const props = provider.copyProperties();
        m.setObject('properties', props);
        props.release();
        this.#channel.send(m);
        m.release();
      },
    });
    this.#unfollow.set(key, unlisten);
  }

  #receive(m: OSDictionary): void {
    const op = messageString(m, 'op');
    if (op === 'reply') {
      this.#requests.settle(m);
      return;
    }
    if (op === 'providerCall') {
      this.#providerCall(m);
      return;
    }
    if (op === 'serviceCall') {
      this.#serviceCall(m);
      return;
    }
    if (op === 'providerChain') {
      this.#providerChain(m);
      return;
    }
    if (op === 'stateItem') {
      this.#stateItem(m);
      return;
    }
    if (op === 'clientPowerState') {
      this.#clientPowerState(m);
      return;
    }
    if (op === 'completion') {
      const id = `${messageString(m, 'userClient')}/${messageNumber(m, 'call')}`;
      const sink = this.#completions.get(id);
      const status = m.getObject('status');
      const data = m.getObject('data');
      if (sink && status instanceof OSNumber) sink(status.unsigned32BitValue(), data instanceof OSArray ? [...data].filter((n) => n instanceof OSNumber).map((n) => n.unsigned64BitValue()) : []);
      return;
    }
    const key = messageString(m, 'service');
    const proxy = key ? this.#proxies.get(key) : undefined;
    if (!proxy) return;
    if (op === 'properties' && m.getObject('properties') instanceof OSDictionary) {
      const before = publishedPowerState(proxy);
      proxy.setProperties(m.getObject('properties') as OSDictionary);
      // The driver's power state changed: its provider's power management decides again.
      if (publishedPowerState(proxy) !== before) proxy.GetProvider()?.clientPowerChanged();
    }
    else if (op === 'registered') proxy.RegisterService();
    else if (op === 'terminated') {
      this.#forget(key!);
      void proxy.Terminate();
    }
  }

  async openUserClient(service: IOService, type: number, entitlements: OSDictionary): Promise<IOUserClientHandle> {
    const key = [...this.#proxies].find(([, p]) => p === service)?.[0];
    if (!key) throw new IOReturnError(kIOReturnNotAttached, `${service.getName()} is not a service of driver server ${this.name}`);
    const answer = await this.#call('openUserClient', { service: key, type, entitlements });
    const ucKey = messageString(answer, 'userClient');
    const properties = answer.getObject('properties');
    if (!ucKey || !(properties instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `driver server ${this.name} answered openUserClient without a user client`);
    let closed = false;
    return {
      properties,
      call: async (call, onCompletion) => {
        const m = encodeCall(call, requestMessage('call', 0, { userClient: ucKey }));
        const { rid, reply } = this.#requests.begin(`selector ${call.selector} of user client ${ucKey} in ${this.name}`, CALL_TIMEOUT_MS);
        m.setObject('rid', rid);
        if (onCompletion) this.#completions.set(`${ucKey}/${rid}`, onCompletion);
        try {
          this.#channel.send(m);
        } finally {
          m.release();
        }
        try {
          return decodeResult(await reply);
        } catch (e) {
          this.#completions.delete(`${ucKey}/${rid}`);
          if (isIOReturnError(e) && e.code !== kIOReturnNotAttached && e.code !== kIOReturnTimeout) return { status: e.code, message: e.message, scalarOutput: [], structureOutput: null, structureOutputLength: 0 };
          throw e;
        }
      },
      copyMemory: async (memoryType) => {
        const r = await this.#call('copyMemory', { userClient: ucKey, memoryType });
        const name = messageString(r, 'name');
        if (!name) throw new IOReturnError(kIOReturnBadArgument, `driver server ${this.name} shared memory without a name`);
        return { name, offset: messageNumber(r, 'offset') ?? 0, length: messageNumber(r, 'length') ?? 0, options: BigInt(messageNumber(r, 'options') ?? 0) };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        for (const k of [...this.#completions.keys()]) if (k.startsWith(`${ucKey}/`)) this.#completions.delete(k);
        if (!this.#dead) await this.#call('closeUserClient', { userClient: ucKey }).catch(() => {});
      },
    };
  }

  /** Asks the process to stop its services and exit; kills it if it has not exited within a grace period. */
  async shutdown(): Promise<void> {
    if (this.#dead) return;
    this.#exiting = true;
    try {
      const m = OSDictionary.withCapacity(1);
      m.setObject('op', 'exit');
      this.#channel.send(m);
      m.release();
    } catch {
      // The channel is already gone; the kill below ends the process.
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}
