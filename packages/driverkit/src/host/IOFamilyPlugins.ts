import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotFound } from '../IOReturn/IOReturn';
import type { IOServiceHost } from './IOServiceHost';

/**
 * What a family package gives the host (the `driverkit.hostPlugin` module named in its package.json):
 * `register(host)` adds its matching hook and starts its enumerators (publishing nubs for the devices
 * its backends find); the function it may return stops them.
 */
export interface IOFamilyPlugin {
  register(host: IOServiceHost): void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>;
}

/** A family plugin found on disk. */
export interface IOFamilyPluginLocation {
  packageName: string;
  modulePath: string;
}

/**
 * Finds installed family packages: every `node_modules/@driverkit/<name>` above `from` whose
 * package.json names a `driverkit.hostPlugin` module. The core never names a family; families
 * announce themselves this way.
 */
export function findFamilyPlugins(from: string[]): IOFamilyPluginLocation[] {
  const found = new Map<string, IOFamilyPluginLocation>();
  for (const start of from) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const scope = join(dir, 'node_modules', '@driverkit');
      if (existsSync(scope)) {
        for (const name of readdirSync(scope)) {
          const pkgPath = join(scope, name, 'package.json');
          if (!existsSync(pkgPath)) continue;
          const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; driverkit?: { hostPlugin?: string } };
          const plugin = pkg.driverkit?.hostPlugin;
          if (plugin && pkg.name && !found.has(pkg.name)) found.set(pkg.name, { packageName: pkg.name, modulePath: join(scope, name, plugin) });
        }
      }
      if (dirname(dir) === dir) break;
    }
  }
  return [...found.values()];
}

/** Loads a plugin module and registers it with the host; returns its stop function. */
export async function loadFamilyPlugin(host: IOServiceHost, modulePath: string): Promise<() => Promise<void>> {
  let mod: Partial<IOFamilyPlugin> & { default?: Partial<IOFamilyPlugin> };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch (e) {
    throw new IOReturnError(kIOReturnNotFound, `cannot load the family plugin ${modulePath}: ${(e as Error).message}`, { cause: e });
  }
  const register = mod.register ?? mod.default?.register;
  if (typeof register !== 'function') throw new IOReturnError(kIOReturnNotFound, `${modulePath} exports no register(host) function`);
  const stop = await register(host);
  return async () => {
    if (typeof stop === 'function') await stop();
  };
}

/**
 * The virtual bench module a driver package names in package.json (`"driverkit": { "virtualBench":
 * "dist/VirtualBench.js" }`), or null. Its default export plugs the package's virtual devices into
 * the families (after their plugins registered) and returns what unplugs them.
 */
export function findVirtualBench(packageDirectory: string): string | null {
  try {
    const manifest = JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8')) as { driverkit?: { virtualBench?: unknown } };
    const bench = manifest.driverkit?.virtualBench;
    return typeof bench === 'string' ? join(packageDirectory, bench) : null;
  } catch {
    return null;
  }
}

/** Runs a virtual bench module (see {@link findVirtualBench}); returns its stop function. */
export async function loadVirtualBench(host: IOServiceHost, modulePath: string): Promise<() => Promise<void>> {
  let mod: { default?: unknown };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch (e) {
    throw new IOReturnError(kIOReturnNotFound, `cannot load the virtual bench ${modulePath}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof mod.default !== 'function') throw new IOReturnError(kIOReturnNotFound, `${modulePath} has no default export that plugs in its devices`);
  const stop = (await (mod.default as (h: IOServiceHost) => unknown)(host)) as unknown;
  return async () => {
    if (typeof stop === 'function') await (stop as () => unknown)();
  };
}
