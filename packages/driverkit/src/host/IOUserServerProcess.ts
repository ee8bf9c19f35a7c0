import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { IOReturnError, errorReason, ioReturnFromException, isIOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached, kIOReturnNotPermitted, kIOReturnTimeout, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { messageNumber, messageString } from '../ipc/IOMessageFields';
import { IORequestTracker } from '../ipc/IORequestTracker';
import { describeService, readServiceDescription } from '../ipc/IOServiceDescription';
import {
  decodeUserServerMessage,
  dispatchUserServerMessage,
  encodeUserServerMessage,
  kDriverToHostOps,
  type IODriverToHostMessage,
  type IOHostToDriverMessage,
  type IOUserServerHandlers,
  type IOUserServerMessage,
} from '../ipc/IOUserServerProtocol';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
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
import { IODriverAccount } from './IODriverAccount';
import type { IOStateNotificationCenter } from './IOStateNotificationCenter';
import type { IOHostActivity } from './IOHostActivity';

type Message<Op extends IOUserServerMessage['op']> = IOUserServerMessage<Op>;

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
  /** The nub the process is started for: its family says whether its drivers must keep root. */
  provider?: IOService;
  /** The host's reasons to keep the process as root (its kernel class's, its personality's). */
  rootReasons?: readonly string[];
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
  /** The service each open user client serves, by the process's key for it (for activity counts). */
  readonly #userClientServices = new Map<string, string>();
  /** The state notification watches this process holds, by its watch id. */
  readonly #watches = new Map<number, () => void>();
  /** The account the process runs as; null for the host's own (root, when it could not drop). */
  readonly account: IODriverAccount | null;

  /** The uid the process runs as: its account's, or the host's own. */
  get uid(): number {
    return this.account?.uid ?? process.getuid?.() ?? 0;
  }
  #dead = false;
  #exiting = false;
  readonly #exited: Promise<void>;

  constructor(
    readonly name: string,
    driver: IODriverModule,
    private readonly options: IOUserServerProcessOptions,
  ) {
    const main = serverMainPath();
    // Least privilege: as an unprivileged account unless the nub's backend needs root (said in the log).
    const { account, why } = options.provider ? IODriverAccount.forDriver(options.provider, [driver.modulePath ?? driver.directory ?? main, main], options.rootReasons) : { account: null, why: null };
    this.account = account;
    this.#child = spawn(process.execPath, [main], {
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
      // A session of its own: a terminal's Ctrl-C (or a signal to the host's process group) must reach
      // the host only, which then stops each driver in Apple's order. A driver never outlives the host:
      // it exits, after terminating its services, when its channel to the host closes.
      detached: true,
      // Descriptor 3 carries the protocol; the IPC channel only hands over apps' sockets to their user
      // clients (Node passes descriptors on nothing else).
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ipc'],
      // Its device polls park threadpool threads (see bin/driverkit.mjs).
      env: { UV_THREADPOOL_SIZE: '32', ...process.env, DRIVERKIT_SERVER_NAME: name },
    });
    if (why) options.log(`[${name} ${this.#child.pid}] runs as root: ${why}`);
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.log(`[${name} ${this.#child.pid}] ${line}`));
    }
    this.#kernel = new IOKernelServiceSet(options.kernelClasses ?? new IOKernelClassTable(), options.log, options.activity ? (label, read) => options.activity!.source(label, read) : undefined);
    const kernelCleanups: Array<() => void> = [];
    this.#kernelCaller = { caller: { key: `${name}:${this.#child.pid}`, pid: this.#child.pid ?? -1, uid: this.uid, onGone: (f) => void kernelCleanups.push(f) }, cleanups: kernelCleanups };
    this.#channel = new IOMessageChannel(this.#child.stdio[3] as Socket);
    this.#channel.onMessage = (frame) => this.#receive(frame);
    this.#channel.onClose = (e) => e && options.log(`[${name}] channel closed: ${e.message}`);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#dead = true;
        // A driver killed or crashed skipped its exit hook: its shared-memory files are the host's to remove.
        if (this.#child.pid) IOSharedMemory.removeStale(this.#child.pid);
        const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.#requests.failAll(`the driver process ${why}`);
        this.#completions.clear();
        this.#userClientServices.clear();
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
    this.#send({
      op: 'init',
      name,
      bundleIdentifier: driver.bundleIdentifier,
      ...(driver.modulePath ? { modulePath: driver.modulePath } : {}),
      ...(driver.directory ? { bundlePath: driver.directory } : {}),
    });
  }

  /** Sends one message; a closed channel drops it (the process is going, and its exit cleans up). */
  #send(message: IOHostToDriverMessage): void {
    if (this.#dead || this.#channel.isClosed()) return;
    const m = encodeUserServerMessage(message);
    try {
      this.#channel.send(m);
    } finally {
      m.release();
    }
  }

  /** One request of the driver process, built for a fresh rid; resolves with its reply's result. */
  #request(what: string, timeoutMs: number, build: (rid: number) => IOHostToDriverMessage): Promise<OSDictionary> {
    return this.#begin(what, timeoutMs, build).result;
  }

  /** {@link #request}, also saying the rid (a call's completions are filed under it). */
  #begin(what: string, timeoutMs: number, build: (rid: number) => IOHostToDriverMessage): { rid: number; result: Promise<OSDictionary> } {
    if (this.#dead || this.#channel.isClosed()) return { rid: 0, result: Promise.reject(new IOReturnError(kIOReturnNotAttached, `driver server ${this.name} is not running`)) };
    const { rid, reply } = this.#requests.begin(`${what} in ${this.name}`, timeoutMs);
    this.#send(build(rid));
    const result = reply.then((r) => {
      const value = r.getObject('result');
      return value instanceof OSDictionary ? value : OSDictionary.withCapacity(0);
    });
    return { rid, result };
  }

  get pid(): number | null {
    return this.#child.pid ?? null;
  }

  isDead(): boolean {
    return this.#dead;
  }

  async startService(properties: OSDictionary, provider: IOService): Promise<IOService> {
    if (this.#dead) throw new IOReturnError(kIOReturnNotAttached, `driver server ${this.name} is not running`);
    const p = describeService(provider);
    this.#startedAs.push(properties.copyCollection());
    this.#useProvider(provider);
    let answer: OSDictionary;
    try {
      answer = await this.#request(`starting ${String((properties.getObject('IOUserClass') as OSString | null)?.getCStringNoCopy())}`, START_TIMEOUT_MS, (rid) => ({ op: 'start', rid, properties, provider: p }));
    } catch (e) {
      this.#unuseProvider(provider);
      throw e;
    } finally {
      p.release();
    }
    const desc = readServiceDescription(answer.getObject('service'));
    const ioClass = properties.getObject('IOClass');
    const key = desc.id.toString();
    const proxy = new IOUserServiceProxy(ioClass instanceof OSString ? ioClass.getCStringNoCopy() : 'IOUserService', {
      stop: () => this.#stopRemote(key),
      setPowerState: (flags) => this.#request('power', STOP_TIMEOUT_MS, (rid) => ({ op: 'power', rid, service: key, flags })).then(() => {}),
      clientPowerChanged: () => this.#send({ op: 'clientPower', service: key }),
    });
    proxy.setName(desc.name);
    proxy.setProperties(desc.properties);
    proxy.setProperty('IOUserServerPID', OSNumber.withNumber(this.#child.pid ?? 0, 32));
    proxy.setProperty('IOUserServerUID', OSNumber.withNumber(this.uid, 32));
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
      await this.#request('terminate', STOP_TIMEOUT_MS, (rid) => ({ op: 'terminate', rid, service: key }));
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
  #providerCall(m: Message<'providerCall'>): void {
    const nub = this.#callable.get(m.provider)?.nub;
    this.#answer(m.rid, async () => {
      if (!nub) throw new IOReturnError(kIOReturnNotPermitted, 'providerCall: that service is not a provider of this driver process');
      if (!isRemoteCallTarget(nub)) throw new IOReturnError(kIOReturnUnsupported, `${nub.getName()} (${nub.getClassName()}) takes no calls from driver processes`);
      let entry = this.#callers.get(nub);
      if (!entry) {
        const cleanups: Array<() => void> = [];
        entry = { caller: { key: `${this.name}:${this.pid}`, pid: this.pid ?? -1, uid: this.uid, onGone: (f) => void cleanups.push(f) }, cleanups };
        this.#callers.set(nub, entry);
      }
      this.options.activity?.count('provider calls', `${nub.getName()}.${m.method}`);
      return nub.handleRemoteCall(m.method, m.args, entry.caller);
    });
  }

  /**
   * A driver service's call on its own kernel half (the object of its personality's IOClass). The
   * service names the IOClass and IOUserClass it was started as; only a pair this process was asked to
   * start is believed.
   */
  #serviceCall(m: Message<'serviceCall'>): void {
    this.#answer(m.rid, async () => {
      const describe = () => {
        const properties = this.#startedAs.find((p) => (p.getObject('IOClass') as OSString | null)?.getCStringNoCopy?.() === m.ioClass && (p.getObject('IOUserClass') as OSString | null)?.getCStringNoCopy?.() === m.userClass);
        return properties ? { ioClass: m.ioClass, properties, entitlements: this.options.entitlements ?? OSDictionary.withCapacity(0) } : null;
      };
      return this.#kernel.call(m.service, m.method, m.args, this.#kernelCaller.caller, describe);
    });
  }

  /** StateNotificationItemCreate/Set/Copy and the watches of this process's state notification sources. */
  #stateItem(m: Message<'stateItem'>): void {
    const name = m.name ?? '';
    const caller = { name: this.name, entitlements: this.options.entitlements ?? OSDictionary.withCapacity(0) };
    this.#answer(m.rid, async () => {
      const states = this.options.stateNotifications;
      if (!states) throw new IOReturnError(kIOReturnUnsupported, 'this host keeps no state notification items');
      const result = OSDictionary.withCapacity(1);
      if (m.action === 'create') states.create(name, m.value ?? null, caller);
      else if (m.action === 'set') states.set(name, m.value ?? OSDictionary.withCapacity(0), caller);
      else if (m.action === 'copy') {
        const v = states.copy(name, caller);
        result.setObject('value', v);
        v.release();
      } else if (m.action === 'watch' || m.action === 'unwatch') {
        const watch = m.watch ?? 0;
        this.#watches.get(watch)?.();
        this.#watches.delete(watch);
        if (m.action === 'watch' && m.names) {
          this.#watches.set(
            watch,
            states.watch([...m.names], (changed) => this.#send({ op: 'stateChanged', watch, name: changed })),
          );
        }
      } else throw new IOReturnError(kIOReturnBadArgument, `state notification: no action ${m.action}`);
      return result;
    });
  }

  /** CopyProviderProperties for a provider of this process's services: it and each provider above it. */
  #providerChain(m: Message<'providerChain'>): void {
    const nub = this.#callable.get(m.provider)?.nub;
    this.#answer(m.rid, async () => {
      if (!nub) throw new IOReturnError(kIOReturnNotPermitted, 'CopyProviderProperties: that service is not a provider of this driver process');
      const wanted = m.keys ?? null;
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
  #clientPowerState(m: Message<'clientPowerState'>): void {
    this.#answer(m.rid, async () => {
      const proxy = this.#proxies.get(m.service);
      // A service still in its Start has no clients yet.
      const state = proxy ? highestPowerState(proxy.getChildEntries().map((c) => publishedPowerState(c))) : null;
      return state === null ? null : toOSDictionary({ state });
    });
  }

  /** Runs a driver process's call and sends its reply: the result, or the error's kIOReturn and reason. */
  #answer(rid: number, work: () => Promise<OSDictionary | null>): void {
    work().then(
      (result) => {
        this.#send({ op: 'reply', rid, status: 0, result: result ?? OSDictionary.withCapacity(0) });
        result?.release();
      },
      (e) => this.#send({ op: 'reply', rid, status: ioReturnFromException(e), message: errorReason(e) }),
    );
  }

  /** Keeps the driver process's copy of the provider's properties current. */
  #followProvider(key: string, provider: IOService): void {
    const registry = provider.getRegistry();
    if (!registry) return;
    const unlisten = registry.listen({
      propertiesChanged: (entry) => {
        if (entry !== provider || this.#dead) return;
        const properties = provider.copyProperties();
        this.#send({ op: 'providerProperties', provider: provider.GetRegistryEntryID(), properties });
        properties.release();
      },
    });
    this.#unfollow.set(key, unlisten);
  }

  /** What the driver process sends, one handler each (replies settle their requests in #receive). */
  readonly #handlers: IOUserServerHandlers<IODriverToHostMessage> = {
    providerCall: (m) => this.#providerCall(m),
    serviceCall: (m) => this.#serviceCall(m),
    providerChain: (m) => this.#providerChain(m),
    stateItem: (m) => this.#stateItem(m),
    clientPowerState: (m) => this.#clientPowerState(m),
    completion: (m) => this.#completions.get(`${m.userClient}/${m.call}`)?.(m.status >>> 0, [...m.data]),
    userClientCalls: (m) => {
      const service = this.#userClientServices.get(m.userClient);
      if (service && m.count > 0) this.options.activity?.count('user-client calls', service, m.count);
    },
    properties: (m) => {
      const proxy = this.#proxies.get(m.service);
      if (!proxy) return;
      const before = publishedPowerState(proxy);
      proxy.setProperties(m.properties);
      // The driver's power state changed: its provider's power management decides again.
      if (publishedPowerState(proxy) !== before) proxy.GetProvider()?.clientPowerChanged();
    },
    registered: (m) => this.#proxies.get(m.service)?.RegisterService(),
    terminated: (m) => {
      const proxy = this.#proxies.get(m.service);
      if (!proxy) return;
      this.#forget(m.service);
      void proxy.Terminate();
    },
  };

  #receive(frame: OSDictionary): void {
    let message: IODriverToHostMessage;
    try {
      message = decodeUserServerMessage(frame, kDriverToHostOps);
    } catch (e) {
      // A driver process is not trusted: a malformed frame is never acted on. A request among them is
      // answered with the reason, so that its caller fails instead of waiting.
      this.options.log(`[${this.name}] a frame from the driver process was refused: ${(e as Error).message}`);
      const rid = frame.getObject('rid');
      const op = frame.getObject('op');
      if (rid instanceof OSNumber && !(op instanceof OSString && op.getCStringNoCopy() === 'reply')) {
        this.#send({ op: 'reply', rid: Number(rid.unsigned32BitValue()), status: ioReturnFromException(e), message: errorReason(e) });
      }
      return;
    }
    if (message.op === 'reply') this.#requests.settle(frame);
    else dispatchUserServerMessage(this.#handlers, message);
  }

  async openUserClient(service: IOService, type: number, entitlements: OSDictionary): Promise<IOUserClientHandle> {
    const key = [...this.#proxies].find(([, p]) => p === service)?.[0];
    if (!key) throw new IOReturnError(kIOReturnNotAttached, `${service.getName()} is not a service of driver server ${this.name}`);
    const answer = await this.#request('openUserClient', STOP_TIMEOUT_MS, (rid) => ({ op: 'openUserClient', rid, service: key, type, entitlements }));
    const userClient = messageString(answer, 'userClient');
    const properties = answer.getObject('properties');
    if (!userClient || !(properties instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `driver server ${this.name} answered openUserClient without a user client`);
    let closed = false;
    this.#userClientServices.set(userClient, service.getName());
    return {
      properties,
      account: this.account,
      direct: (socket, rid) =>
        new Promise<void>((resolve, reject) => {
          if (closed || this.#dead || !this.#child.connected) return reject(new IOReturnError(kIOReturnNotAttached, `driver server ${this.name} cannot take a connection now`));
          // Sent as a plain socket, the host's copy closed once it is on its way: Node's own tracking of a
          // server's sockets sent to a child would keep the host socket from ever closing once that child
          // has exited (net.Server.close then waits on a worker that is gone).
          (socket as unknown as { server: unknown }).server = null;
          this.#child.send({ op: 'directUserClient', userClient, rid }, socket, { keepOpen: true }, (e) => {
            socket.destroy();
            if (e) reject(e);
            else resolve();
          });
        }),
      call: async (call, onCompletion) => {
        const fields = encodeCall(call, OSDictionary.withCapacity(8));
        const { rid, result } = this.#begin(`selector ${call.selector} of user client ${userClient}`, CALL_TIMEOUT_MS, (r) => {
          if (onCompletion) this.#completions.set(`${userClient}/${r}`, onCompletion);
          return { op: 'call', rid: r, userClient, call: fields };
        });
        fields.release();
        try {
          return decodeResult(await result);
        } catch (e) {
          this.#completions.delete(`${userClient}/${rid}`);
          if (isIOReturnError(e) && e.code !== kIOReturnNotAttached && e.code !== kIOReturnTimeout) return { status: e.code, message: e.message, scalarOutput: [], structureOutput: null, structureOutputLength: 0 };
          throw e;
        }
      },
      copyMemory: async (memoryType) => {
        const r = await this.#request('copyMemory', STOP_TIMEOUT_MS, (rid) => ({ op: 'copyMemory', rid, userClient, memoryType }));
        const name = messageString(r, 'name');
        if (!name) throw new IOReturnError(kIOReturnBadArgument, `driver server ${this.name} shared memory without a name`);
        return { name, offset: messageNumber(r, 'offset') ?? 0, length: messageNumber(r, 'length') ?? 0, options: BigInt(messageNumber(r, 'options') ?? 0) };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.#userClientServices.delete(userClient);
        for (const k of [...this.#completions.keys()]) if (k.startsWith(`${userClient}/`)) this.#completions.delete(k);
        if (!this.#dead) await this.#request('closeUserClient', STOP_TIMEOUT_MS, (rid) => ({ op: 'closeUserClient', rid, userClient })).catch(() => {});
      },
    };
  }

  /** Asks the process to stop its services and exit; kills it if it has not exited within a grace period. */
  async shutdown(): Promise<void> {
    if (this.#dead) return;
    this.#exiting = true;
    try {
      this.#send({ op: 'exit' });
    } catch {
      // The channel is already gone; the kill below ends the process.
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}
