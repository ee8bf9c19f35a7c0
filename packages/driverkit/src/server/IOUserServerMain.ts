import { Socket } from 'node:net';
import { IOReturnError, errorReason, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnNotAttached } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import type { IOUserClient } from '../userclient/IOUserClient';
import { decodeCall, encodeResult } from '../userclient/IOUserClientCall';
import { IOUserClientRunner } from '../userclient/IOUserClientRunner';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { messageFields, messageString } from '../ipc/IOMessageFields';
import { describeService, readServiceDescription } from '../ipc/IOServiceDescription';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { IORegistry } from '../registry/IORegistry';
import { IOService, type IOStateNotificationPort } from '../service/IOService';
import { IOProviderProxy } from './IOProviderProxy';
import { IORequestTracker, requestMessage } from '../ipc/IORequestTracker';
import { isLinkedProvider, type IOProviderLink } from './IORemoteProvider';
import { IOUserServerRuntime } from './IOUserServerRuntime';


/**
 * The main loop of a driver process: receives start/terminate/exit from the host on descriptor 3,
 * runs the driver package's classes through an {@link IOUserServerRuntime} against stand-ins of
 * their providers, and reports property changes, registrations and self-termination back. If the
 * host goes away, the process stops its services and exits: no driver outlives its host.
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
  // Calls this process makes on its providers' nubs in the host.
  const calls = new IORequestTracker();
  const linkTo = (id: bigint, name: string): IOProviderLink => ({
    call: (method, args, timeoutMs = 0) => {
      if (channel.isClosed()) return Promise.reject(new IOReturnError(kIOReturnNotAttached, `${name}.${method}: the host is gone`));
      const { rid, reply } = calls.begin(`${name}.${method}`, timeoutMs);
      const m = requestMessage('providerCall', rid, { provider: OSNumber.withNumber(id, 64), method, args });
      channel.send(m);
      m.release();
      return reply.then((r) => {
        const result = r.getObject('result');
        return result instanceof OSDictionary ? result : OSDictionary.withCapacity(0);
      });
    },
  });

  // A service's calls on its own kernel half in the host; it says which IOClass and IOUserClass it was
  // started as, which the host checks against what it asked this process to start.
  const kernelLinkFor = (service: IOService): IOProviderLink => ({
    call: (method, args, timeoutMs = 0) => {
      const what = `${service.getName()}.${method}`;
      if (channel.isClosed()) return Promise.reject(new IOReturnError(kIOReturnNotAttached, `${what}: the host is gone`));
      const { rid, reply } = calls.begin(what, timeoutMs);
      const ioClass = service.getProperty('IOClass');
      const userClass = service.getProperty('IOUserClass');
      const m = requestMessage('serviceCall', rid, {
        service: service.GetRegistryEntryID().toString(),
        ioClass: ioClass instanceof OSString ? ioClass.getCStringNoCopy() : '',
        userClass: userClass instanceof OSString ? userClass.getCStringNoCopy() : '',
        method,
        args,
      });
      channel.send(m);
      m.release();
      return reply.then((r) => {
        const result = r.getObject('result');
        return result instanceof OSDictionary ? result : OSDictionary.withCapacity(0);
      });
    },
  });

  // The host's state notification items: each call a request; changes to watched items come as
  // 'stateChanged' frames naming the watch.
  const stateWatchers = new Map<number, (name: string) => void>();
  let nextWatch = 1;
  const stateCall = (action: string, fields: Record<string, OSObject | string | number>) => {
    if (channel.isClosed()) return Promise.reject(new IOReturnError(kIOReturnNotAttached, `state notification ${action}: the host is gone`));
    const { rid, reply } = calls.begin(`state notification ${action}${typeof fields.name === 'string' ? ` of ${fields.name}` : ''}`, 10_000);
    const m = requestMessage('stateItem', rid, { action, ...fields });
    channel.send(m);
    m.release();
    return reply.then((r) => (r.getObject('result') as OSDictionary | null) ?? OSDictionary.withCapacity(0));
  };
  const statePort: IOStateNotificationPort = {
    create: async (name, value) => void (await stateCall('create', value ? { name, value } : { name })),
    set: async (name, value) => void (await stateCall('set', { name, value })),
    copy: async (name) => {
      const v = (await stateCall('copy', { name })).getObject('value');
      return v instanceof OSDictionary ? (v.retain() as OSDictionary) : OSDictionary.withCapacity(0);
    },
    watch: async (names, listener) => {
      const watch = nextWatch++;
      stateWatchers.set(watch, listener);
      await stateCall('watch', { watch, names: OSArray.withObjects(names.map((n) => OSString.withCString(n))) });
      return () => {
        stateWatchers.delete(watch);
        void stateCall('unwatch', { watch }).catch(() => {});
      };
    },
  };

  const send = (fields: Record<string, OSObject | string | number | boolean>) => {
    if (channel.isClosed()) return;
    const m = messageFields(fields);
    channel.send(m);
    m.release();
  };
  const reply = (rid: number, fields: Record<string, OSObject | string | number | boolean> = {}) => send({ op: 'reply', rid, status: 0, ...fields });
  const fail = (rid: number, e: unknown) => send({ op: 'reply', rid, status: ioReturnFromException(e), message: errorReason(e) });

  registry.listen({
    propertiesChanged: (e) => {
      const key = e.GetRegistryEntryID().toString();
      if (!services.has(key)) return;
      const p = e.copyProperties();
      send({ op: 'properties', service: key, properties: p });
      p.release();
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

  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await Promise.allSettled([...userClients.values()].map((uc) => IOUserClientRunner.close(uc)));
    await Promise.allSettled([...services.values()].map((s) => s.Terminate()));
    channel.close();
    process.exit(code);
  };

  channel.onMessage = (m) => {
    const op = messageString(m, 'op');
    const ridObject = m.getObject('rid');
    const rid = ridObject instanceof OSNumber ? Number(ridObject.unsigned32BitValue()) : 0;
    if (op === 'reply') {
      calls.settle(m);
    } else if (op === 'stateChanged') {
      const watch = m.getObject('watch');
      const name = messageString(m, 'name');
      if (watch instanceof OSNumber && name) stateWatchers.get(Number(watch.unsigned32BitValue()))?.(name);
    } else if (op === 'init') {
      const modulePath = messageString(m, 'modulePath');
      const directory = messageString(m, 'bundlePath');
      runtime = new IOUserServerRuntime(messageString(m, 'name') ?? 'driver', { bundleIdentifier: messageString(m, 'bundleIdentifier') ?? 'unknown', modulePath, ...(directory ? { directory } : {}) });
      runtime.onError = (s, what, e) => process.stderr.write(`${s.getName()}.${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      runtime.kernelLinkFor = kernelLinkFor;
      runtime.stateNotificationsFor = () => statePort;
      // The host answers for the providers above the stand-in this process holds.
      runtime.providerChainFor = (provider, keys) => {
        const id = [...providers].find(([, p]) => p === provider)?.[0];
        if (id === undefined || channel.isClosed()) return null;
        const { rid, reply } = calls.begin(`CopyProviderProperties of ${provider.getName()}`, 10_000);
        const fields: Record<string, OSObject> = { provider: OSNumber.withNumber(id, 64) };
        if (keys) fields.keys = OSArray.withObjects(keys.map((k) => OSString.withCString(k)));
        const m = requestMessage('providerChain', rid, fields);
        channel.send(m);
        m.release();
        return reply.then((r) => {
          const chain = (r.getObject('result') as OSDictionary | null)?.getObject('chain');
          return chain instanceof OSArray ? (chain.retain() as OSArray) : OSArray.withCapacity(0);
        });
      };
      // Power management: the host knows the clients other driver processes run on this process's services.
      runtime.clientPowerStateFor = (service) => {
        const key = service.GetRegistryEntryID().toString();
        if (!services.has(key) || channel.isClosed()) return null;
        const { rid, reply } = calls.begin(`the power state of ${service.getName()}'s clients`, 10_000);
        const m = requestMessage('clientPowerState', rid, { service: key });
        channel.send(m);
        m.release();
        return reply.then((r) => {
          const state = (r.getObject('result') as OSDictionary | null)?.getObject('state');
          return state instanceof OSNumber ? Number(state.unsigned32BitValue()) : null;
        });
      };
    } else if (op === 'start') {
      void (async () => {
        try {
          if (!runtime) throw new Error('start before init');
          const properties = m.getObject('properties');
          if (!(properties instanceof OSDictionary)) throw new TypeError('start: no properties dictionary');
          // Load the driver's module first: the families it imports register their provider classes.
          const userClass = properties.getObject('IOUserClass');
          if (userClass instanceof OSString) await runtime.loadClass(userClass.getCStringNoCopy());
          const provider = providerFor(m.getObject('provider') as OSDictionary);
          const service = await runtime.startService(properties, provider);
          const key = service.GetRegistryEntryID().toString();
          services.set(key, service);
          const description = describeService(service);
          description.setObject('id', service.GetRegistryEntryID());
          reply(rid, { service: description, registered: service.isRegistered() });
          description.release();
        } catch (e) {
          fail(rid, e);
        }
      })();
    } else if (op === 'terminate') {
      const key = messageString(m, 'service') ?? '';
      // A turn of the event loop first: replies read from the same chunk just before (a transfer the
      // host ended because the device went) resolve through promise chains, and their completions must
      // reach the driver's queues before Terminate does, as the host sent them.
      setImmediate(() => {
        const service = services.get(key);
        services.delete(key);
        void (service ? service.Terminate() : Promise.resolve()).then(
          () => reply(rid),
          (e) => fail(rid, e),
        );
      });
    } else if (op === 'openUserClient') {
      const service = services.get(messageString(m, 'service') ?? '');
      const type = m.getObject('type');
      const entitlements = m.getObject('entitlements');
      void (async () => {
        if (!service) throw new IOReturnError(kIOReturnNotAttached, 'openUserClient: the service is gone');
        const uc = await IOUserClientRunner.open(service, type instanceof OSNumber ? Number(type.unsigned32BitValue()) : 0, entitlements instanceof OSDictionary ? entitlements : OSDictionary.withCapacity(0));
        const key = uc.GetRegistryEntryID().toString();
        userClients.set(key, uc);
        const properties = uc.copyProperties();
        reply(rid, { userClient: key, properties });
        properties.release();
      })().catch((e) => fail(rid, e));
    } else if (op === 'call') {
      const key = messageString(m, 'userClient') ?? '';
      const uc = userClients.get(key);
      void (async () => {
        if (!uc) throw new IOReturnError(kIOReturnNotAttached, 'the user client is closed');
        const call = decodeCall(m);
        const sink = (status: number, data: bigint[]) => {
          const note = OSDictionary.withCapacity(5);
          note.setObject('op', 'completion');
          note.setObject('userClient', key);
          note.setObject('call', rid);
          note.setObject('status', OSNumber.withNumber(status, 32));
          note.setObject('data', OSArray.withObjects(data.map((d) => OSNumber.withNumber(d, 64))));
          if (!channel.isClosed()) channel.send(note);
          note.release();
        };
        const result = await IOUserClientRunner.call(uc, call, call.asyncReference ? sink : null);
        const out = encodeResult(result, OSDictionary.withCapacity(6));
        out.setObject('op', 'reply');
        out.setObject('rid', rid);
        if (!channel.isClosed()) channel.send(out);
        out.release();
      })().catch((e) => fail(rid, e));
    } else if (op === 'copyMemory') {
      const uc = userClients.get(messageString(m, 'userClient') ?? '');
      const type = m.getObject('memoryType');
      void (async () => {
        if (!uc) throw new IOReturnError(kIOReturnNotAttached, 'the user client is closed');
        const g = await IOUserClientRunner.copyMemory(uc, type instanceof OSNumber ? type.unsigned64BitValue() : 0n);
        reply(rid, { name: g.name, offset: g.offset, length: g.length, options: Number(g.options) });
      })().catch((e) => fail(rid, e));
    } else if (op === 'closeUserClient') {
      const key = messageString(m, 'userClient') ?? '';
      const uc = userClients.get(key);
      userClients.delete(key);
      void (uc ? IOUserClientRunner.close(uc) : Promise.resolve()).then(
        () => reply(rid),
        (e) => fail(rid, e),
      );
    } else if (op === 'power') {
      const service = services.get(messageString(m, 'service') ?? '');
      const flags = m.getObject('flags');
      void (async () => {
        if (!service || !(flags instanceof OSNumber)) throw new Error('power: unknown service or no flags');
        await service.SetPowerState(Number(flags.unsigned32BitValue()));
      })().then(
        () => reply(rid),
        (e) => fail(rid, e),
      );
    } else if (op === 'clientPower') {
      services.get(messageString(m, 'service') ?? '')?.clientPowerChanged();
    } else if (op === 'providerProperties') {
      const id = m.getObject('provider');
      const properties = m.getObject('properties');
      const provider = id instanceof OSNumber ? providers.get(id.unsigned64BitValue()) : undefined;
      if (provider && properties instanceof OSDictionary) provider.setProperties(properties);
    } else if (op === 'exit') {
      void exit(0);
    }
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
