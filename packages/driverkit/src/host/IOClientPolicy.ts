import { statSync } from 'node:fs';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { kOSBooleanTrue } from '../os/OSBoolean';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { readPropertyListFile } from '../plist/OSPropertyList';
import type { IOClientIdentity } from './IOClientIdentity';

/** Where the host looks for the client policy unless told otherwise. */
export const kIOClientPolicyDefaultPath = '/etc/driverkit/client-policy.plist';
/** Mirrors the entitlement IOKit gives root and admin clients. */
export const kIODriverKitAdministratorEntitlement = 'com.apple.developer.driverkit.administrator';

interface Rule {
  uid: number | null;
  gid: number | null;
  executable: string | null;
  entitlements: OSDictionary;
}

/**
 * The administrator's word on what each client app may do, standing in for the code signature an app
 * has on macOS: a property list of rules, each naming `UID`, `GID` and/or `Executable` (all given must
 * hold for the connecting process, as the kernel reports it) and the `Entitlements` a matching client
 * holds. The file must belong to root (or to the host's own user) and be writable by no one else,
 * else the host refuses to trust it. Root clients also hold
 * `com.apple.developer.driverkit.administrator`, as on macOS.
 *
 * ```xml
 * <dict><key>Clients</key><array>
 *   <dict><key>UID</key><integer>1000</integer>
 *         <key>Entitlements</key><dict>
 *           <key>com.apple.developer.driverkit.userclient-access</key>
 *           <array><string>com.example.apple-samplecode.NullDriver</string></array>
 *         </dict></dict>
 * </array></dict>
 * ```
 */
export class IOClientPolicy {
  readonly #rules: Rule[];

  private constructor(
    readonly source: string | null,
    rules: Rule[],
  ) {
    this.#rules = rules;
  }

  /** A policy granting nothing (only drivers with allow-any-userclient-access can be opened). */
  static empty(): IOClientPolicy {
    return new IOClientPolicy(null, []);
  }

  /** Loads and checks a policy file; a missing file is an empty policy (its `source` is null). */
  static load(path: string = kIOClientPolicyDefaultPath): IOClientPolicy {
    let st;
    try {
      st = statSync(path);
    } catch {
      return new IOClientPolicy(null, []);
    }
    const owner = process.getuid?.() ?? 0;
    if (st.uid !== 0 && st.uid !== owner) throw new IOReturnError(kIOReturnNotPermitted, `the client policy ${path} belongs to uid ${st.uid}, not root: it cannot be trusted`);
    if (st.mode & 0o022) throw new IOReturnError(kIOReturnNotPermitted, `the client policy ${path} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}): it cannot be trusted`);
    const top = readPropertyListFile(path);
    const clients = top instanceof OSDictionary ? top.getObject('Clients') : null;
    if (!(clients instanceof OSArray)) throw new IOReturnError(kIOReturnBadArgument, `${path}: the top level must be a dictionary with a Clients array`);
    const rules = [...clients].map((c, i): Rule => {
      if (!(c instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${path}: Clients[${i}] is not a dictionary`);
      const num = (k: string) => {
        const v = c.getObject(k);
        if (v === null) return null;
        if (!(v instanceof OSNumber)) throw new IOReturnError(kIOReturnBadArgument, `${path}: Clients[${i}].${k} is not a number`);
        return Number(v.unsigned32BitValue());
      };
      const exe = c.getObject('Executable');
      if (exe !== null && !(exe instanceof OSString)) throw new IOReturnError(kIOReturnBadArgument, `${path}: Clients[${i}].Executable is not a string`);
      const ent = c.getObject('Entitlements');
      if (!(ent instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${path}: Clients[${i}] has no Entitlements dictionary`);
      const rule = { uid: num('UID'), gid: num('GID'), executable: exe ? exe.getCStringNoCopy() : null, entitlements: ent };
      if (rule.uid === null && rule.gid === null && rule.executable === null) throw new IOReturnError(kIOReturnBadArgument, `${path}: Clients[${i}] names no UID, GID or Executable`);
      return rule;
    });
    return new IOClientPolicy(path, rules);
  }

  /** The entitlements of `client`: every matching rule's, merged, plus the administrator's for root. */
  entitlementsFor(client: IOClientIdentity): OSDictionary {
    const d = OSDictionary.withCapacity(4);
    for (const r of this.#rules) {
      if (r.uid !== null && r.uid !== client.uid) continue;
      if (r.gid !== null && r.gid !== client.gid) continue;
      if (r.executable !== null && r.executable !== client.executable) continue;
      d.merge(r.entitlements);
    }
    if (client.uid === 0) d.setObject(kIODriverKitAdministratorEntitlement, kOSBooleanTrue);
    return d;
  }
}
