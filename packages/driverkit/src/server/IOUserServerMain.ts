import { Socket } from 'node:net';
import { IOReturnError, errorReason, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnNotAttached } from '../IOReturn/IOReturn';
import type { IOUserClient } from '../userclient/IOUserClient';
import { decodeCall, encodeResult } from '../userclient/IOUserClientCall';
import { IOUserClientRunner } from '../userclient/IOUserClientRunner';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { describeService, readServiceDescription } from '../ipc/IOServiceDescription';
import {
  decodeUserServerMessage,
  dispatchUserServerMessage,
  encodeUserServerMessage,
  kHostToDriverOps,
  type IODriverToHostMessage,
  type IOHostToDriverMessage,
  type IOUserServerHandlers,
} from '../ipc/IOUserServerProtocol';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { IORegistry } from '../registry/IORegistry';
import { IOService, type IOStateNotificationPort } from '../service/IOService';
import { IOProviderProxy } from './IOProviderProxy';
import { IORequestTracker } from '../ipc/IORequestTracker';
import { isLinkedProvider, type IOProviderLink } from './IORemoteProvider';
import { IOUserServerRuntime } from './IOUserServerRuntime';
import { IOUserClientDirectServer } from './IOUserClientDirectServer';

/**
 * The main loop of a driver process: receives start/terminate/exit from the host on descriptor 3,
 * runs the driver package's classes through an {@link IOUserServerRuntime} against stand-ins of
 * their providers, and reports property changes, registrations and self-termination back. If the
 * host goes away, the process stops its services and exits: no driver outlives its host. Every frame
 * either way is a message of {@link IOUserServerProtocol}.
 * @internal (the `@driverkit/driverkit/server` entry runs it)
 */
export function runUserServer(fd = 3): void {
  const channel = new IOMessageChannel(new Socket({ fd, readable: true, writable: true }));
  const registry = new IORegistry();
  IORegistry.current = registry;
  const providers = new Map<bigint, IOService>();
  const services = new Map<string, IOService>();
  const userClients = new Map<string, IOUserClient>();
  let runtime: IOUserServerRuntime | null = null;
  let exiting = false;
  // Requests this process makes of the host (calls on providers' nubs and on kernel halves, state items).
  const calls = new IORequestTracker();

  const send = (message: IODriverToHostMessage) => {
    if (channel.isClosed()) return;
    const m = encodeUserServerMessage(message);
    channel.send(m);
    m.release();
  };
  /** Sends a request built for a fresh rid; resolves with the reply's result. */
  const request = (what: string, timeoutMs: number, build: (rid: number) => IODriverToHostMessage): Promise<OSDictionary> => {
    if (channel.isClosed()) return Promise.reject(new IOReturnError(kIOReturnNotAttached, `${what}: the host is gone`));
    const { rid, reply } = calls.begin(what, timeoutMs);
    send(build(rid));
    return reply.then((r) => {
      const result = r.getObject('result');
      return result instanceof OSDictionary ? result : OSDictionary.withCapacity(0);
    });
  };
  const reply = (rid: number, result?: OSDictionary) => send(result ? { op: 'reply', rid, status: 0, result } : { op: 'reply', rid, status: 0 });
  const fail = (rid: number, e: unknown) => send({ op: 'reply', rid, status: ioReturnFromException(e), message: errorReason(e) });
  /** Runs a request's work and replies with its result, or with the error's kIOReturn and reason. */
  const answer = (rid: number, work: () => Promise<OSDictionary | void>) =>
    void work().then(
      (result) => {
        reply(rid, result ?? undefined);
        result?.release();
      },
      (e) => fail(rid, e),
    );

  // A driver's calls on its provider's nub in the host.
  const drains = new Set<() => void>();
  const linkTo = (id: bigint, name: string): IOProviderLink => ({
    call: (method, args, timeoutMs = 0) => request(`${name}.${method}`, timeoutMs, (rid) => ({ op: 'providerCall', rid, provider: id, method, args })),
    beforeHostMessage: (drain) => {
      drains.add(drain);
      return () => void drains.delete(drain);
    },
  });

  // A service's calls on its own kernel half in the host; it says which IOClass and IOUserClass it was
  // started as, which the host checks against what it asked this process to start.
  const kernelLinkFor = (service: IOService): IOProviderLink => ({
    call: (method, args, timeoutMs = 0) => {
      const ioClass = service.getProperty('IOClass');
      const userClass = service.getProperty('IOUserClass');
      return request(`${service.getName()}.${method}`, timeoutMs, (rid) => ({
        op: 'serviceCall',
        rid,
        service: service.GetRegistryEntryID().toString(),
        ioClass: ioClass instanceof OSString ? ioClass.getCStringNoCopy() : '',
        userClass: userClass instanceof OSString ? userClass.getCStringNoCopy() : '',
        method,
        args,
      }));
    },
  });

  // The host's state notification items: each call a request; changes to watched items come as
  // 'stateChanged' messages naming the watch.
  const stateWatchers = new Map<number, (name: string) => void>();
  let nextWatch = 1;
  type StateItem = Omit<Extract<IODriverToHostMessage, { op: 'stateItem' }>, 'op' | 'rid'>;
  const stateCall = (item: StateItem) => request(`state notification ${item.action}${item.name !== undefined ? ` of ${item.name}` : ''}`, 10_000, (rid) => ({ op: 'stateItem', rid, ...item }));
  const statePort: IOStateNotificationPort = {
    create: async (name, value) => void (await stateCall(value ? { action: 'create', name, value } : { action: 'create', name })),
    set: async (name, value) => void (await stateCall({ action: 'set', name, value })),
    copy: async (name) => {
      const v = (await stateCall({ action: 'copy', name })).getObject('value');
      return v instanceof OSDictionary ? (v.retain() as OSDictionary) : OSDictionary.withCapacity(0);
    },
    watch: async (names, listener) => {
      const watch = nextWatch++;
      stateWatchers.set(watch, listener);
      await stateCall({ action: 'watch', watch, names });
      return () => {
        stateWatchers.delete(watch);
        void stateCall({ action: 'unwatch', watch }).catch(() => {});
      };
    },
  };

  registry.listen({
    propertiesChanged: (e) => {
      const key = e.GetRegistryEntryID().toString();
      if (!services.has(key)) return;
      const properties = e.copyProperties();
      send({ op: 'properties', service: key, properties });
      properties.release();
    },
    registered: (e) => services.has(e.GetRegistryEntryID().toString()) && send({ op: 'registered', service: e.GetRegistryEntryID().toString() }),
    terminated: (e) => {
      const key = e.GetRegistryEntryID().toString();
      if (services.delete(key) && !exiting) send({ op: 'terminated', service: key });
    },
  });

  const providerFor = (description: OSDictionary): IOService => {
    const d = readServiceDescription(description);
    const known = providers.get(d.id);
    if (known) return known;
    const proxy = IOUserServerRuntime.createProvider(d.classes) ?? new IOProviderProxy();
    if (proxy instanceof IOProviderProxy) proxy.setClassHierarchy(d.classes);
    if (isLinkedProvider(proxy)) proxy.setProviderLink(linkTo(d.id, d.name));
    proxy.setName(d.name);
    if (d.location) proxy.setLocation(d.location);
    proxy.setProperties(d.properties);
    proxy.attachToParent(registry.root);
    proxy.release();
    providers.set(d.id, proxy);
    return proxy;
  };

  // Apps' own channels to their user clients, handed over by the host once it admitted them.
  const direct = new IOUserClientDirectServer(
    (key) => userClients.get(key),
    (userClient, count) => send({ op: 'userClientCalls', userClient, count }),
  );
  direct.listen();

  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    direct.closeAll();
    await Promise.allSettled([...userClients.values()].map((uc) => IOUserClientRunner.close(uc)));
    await Promise.allSettled([...services.values()].map((s) => s.Terminate()));
    channel.close();
    process.exit(code);
  };

  const userClientOf = (key: string): IOUserClient => {
    const uc = userClients.get(key);
    if (!uc) throw new IOReturnError(kIOReturnNotAttached, 'the user client is closed');
    return uc;
  };

  const handlers: IOUserServerHandlers<IOHostToDriverMessage> = {
    stateChanged: (m) => stateWatchers.get(m.watch)?.(m.name),
    init: (m) => {
      runtime = new IOUserServerRuntime(m.name, { bundleIdentifier: m.bundleIdentifier, modulePath: m.modulePath ?? null, ...(m.bundlePath ? { directory: m.bundlePath } : {}) });
      runtime.onError = (s, what, e) => process.stderr.write(`${s.getName()}.${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      runtime.kernelLinkFor = kernelLinkFor;
      runtime.stateNotificationsFor = () => statePort;
      // The host answers for the providers above the stand-in this process holds.
      runtime.providerChainFor = (provider, keys) => {
        const id = [...providers].find(([, p]) => p === provider)?.[0];
        if (id === undefined || channel.isClosed()) return null;
        return request(`CopyProviderProperties of ${provider.getName()}`, 10_000, (rid) => (keys ? { op: 'providerChain', rid, provider: id, keys } : { op: 'providerChain', rid, provider: id })).then((r) => {
          const chain = r.getObject('chain');
          return chain instanceof OSArray ? (chain.retain() as OSArray) : OSArray.withCapacity(0);
        });
      };
      // Power management: the host knows the clients other driver processes run on this process's services.
      runtime.clientPowerStateFor = (service) => {
        const key = service.GetRegistryEntryID().toString();
        if (!services.has(key) || channel.isClosed()) return null;
        return request(`the power state of ${service.getName()}'s clients`, 10_000, (rid) => ({ op: 'clientPowerState', rid, service: key })).then((r) => {
          const state = r.getObject('state');
          return state instanceof OSNumber ? Number(state.unsigned32BitValue()) : null;
        });
      };
    },
    start: (m) =>
      answer(m.rid, async () => {
        if (!runtime) throw new Error('start before init');
        // Load the driver's module first: the families it imports register their provider classes.
        const userClass = m.properties.getObject('IOUserClass');
        if (userClass instanceof OSString) await runtime.loadClass(userClass.getCStringNoCopy());
        const provider = providerFor(m.provider);
        const service = await runtime.startService(m.properties, provider);
        services.set(service.GetRegistryEntryID().toString(), service);
        const description = describeService(service);
        const result = OSDictionary.withCapacity(2);
        result.setObject('service', description);
        result.setObject('registered', OSBoolean.withBoolean(service.isRegistered()));
        description.release();
        return result;
      }),
    terminate: (m) => {
      // A turn of the event loop first: replies read from the same chunk just before (a transfer the
      // host ended because the device went) resolve through promise chains, and their completions must
      // reach the driver's queues before Terminate does, as the host sent them.
      setImmediate(() => {
        const service = services.get(m.service);
        services.delete(m.service);
        answer(m.rid, async () => void (await service?.Terminate()));
      });
    },
    openUserClient: (m) =>
      answer(m.rid, async () => {
        const service = services.get(m.service);
        if (!service) throw new IOReturnError(kIOReturnNotAttached, 'openUserClient: the service is gone');
        const uc = await IOUserClientRunner.open(service, m.type, m.entitlements);
        const key = uc.GetRegistryEntryID().toString();
        userClients.set(key, uc);
        const result = OSDictionary.withCapacity(2);
        result.setObject('userClient', key);
        const properties = uc.copyProperties();
        result.setObject('properties', properties);
        properties.release();
        return result;
      }),
    call: (m) =>
      answer(m.rid, async () => {
        const uc = userClientOf(m.userClient);
        const call = decodeCall(m.call);
        const sink = (status: number, data: bigint[]) => send({ op: 'completion', userClient: m.userClient, call: m.rid, status, data });
        // The reply's status says the call ran; the method's own status is in the result.
        return encodeResult(await IOUserClientRunner.call(uc, call, call.asyncReference ? sink : null), OSDictionary.withCapacity(6));
      }),
    copyMemory: (m) =>
      answer(m.rid, async () => {
        const g = await IOUserClientRunner.copyMemory(userClientOf(m.userClient), m.memoryType);
        const result = OSDictionary.withCapacity(4);
        result.setObject('name', g.name);
        result.setObject('offset', g.offset);
        result.setObject('length', g.length);
        result.setObject('options', OSNumber.withNumber(g.options, 64));
        return result;
      }),
    closeUserClient: (m) => {
      const uc = userClients.get(m.userClient);
      userClients.delete(m.userClient);
      direct.closeFor(m.userClient);
      answer(m.rid, async () => void (uc && (await IOUserClientRunner.close(uc))));
    },
    power: (m) =>
      answer(m.rid, async () => {
        const service = services.get(m.service);
        if (!service) throw new IOReturnError(kIOReturnNotAttached, 'power: the service is gone');
        await service.SetPowerState(m.flags);
      }),
    clientPower: (m) => services.get(m.service)?.clientPowerChanged(),
    providerProperties: (m) => providers.get(m.provider)?.setProperties(m.properties),
    exit: () => void exit(0),
  };

  channel.onMessage = (frame) => {
    for (const drain of drains) drain();
    let message: IOHostToDriverMessage;
    try {
      message = decodeUserServerMessage(frame, kHostToDriverOps);
    } catch (e) {
      process.stderr.write(`a frame from the host was refused: ${(e as Error).message}\n`);
      return;
    }
    if (message.op === 'reply') calls.settle(frame);
    else dispatchUserServerMessage(handlers, message);
  };
  channel.onClose = () => {
    calls.failAll('the host is gone');
    void exit(0);
  };

  // A driver that throws outside its methods takes down its own process only; the host relaunches it.
  process.on('uncaughtException', (e) => {
    process.stderr.write(`uncaught exception: ${e.stack ?? e.message}\n`);
    process.exit(70);
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  });
}
