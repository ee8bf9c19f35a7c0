import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OSString } from '../os/OSString';
import type { IOService } from '../service/IOService';

/**
 * The key a family sets on a nub whose drivers must keep root in their process, saying why (a backend
 * that opens a device node only root may open, or maps memory the host created for it by name). A
 * personality may carry it too, for a need of the driver's own classes. The host keeps such drivers as
 * root and logs the reason; every other driver process runs as {@link kIODriverAccountName}.
 */
export const kIOUserServerRootReasonKey = 'IOUserServerRootReason';
/** The account driver processes run as when the host is root, as macOS runs dexts as `_driverkit`. */
export const kIODriverAccountName = '_driverkit';
/** `DRIVERKIT_DRIVER_ACCOUNT`: another account's name, or `root` to keep every driver process as root. */
const ACCOUNT_ENV = 'DRIVERKIT_DRIVER_ACCOUNT';

/**
 * The account a driver process runs as. A host running as root starts each driver process as an
 * unprivileged account unless the driver's nub says its backend needs root
 * ({@link kIOUserServerRootReasonKey}), the account does not exist, or it could not read the driver's
 * files; the reason it stays root is logged in each case.
 */
export class IODriverAccount {
  constructor(
    readonly name: string,
    readonly uid: number,
    readonly gid: number,
  ) {}

  /** The account of that name in /etc/passwd, or null. */
  static lookup(name: string): IODriverAccount | null {
    let passwd: string;
    try {
      passwd = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return null;
    }
    for (const line of passwd.split('\n')) {
      const [user, , uid, gid] = line.split(':');
      if (user === name && uid && gid) return new IODriverAccount(name, Number(uid), Number(gid));
    }
    return null;
  }

  /**
   * Whether this account may read `path` (a file or folder, or a device node), and with `write` write it,
   * and search every folder above it, by the mode bits as the kernel checks them (supplementary groups
   * aside: a driver process has none).
   */
  canRead(path: string, write = false): boolean {
    const may = (p: string, bit: number) => {
      try {
        const s = statSync(p);
        const shift = s.uid === this.uid ? 6 : s.gid === this.gid ? 3 : 0;
        return ((s.mode >> shift) & bit) !== 0;
      } catch {
        return false;
      }
    };
    let p = resolve(path);
    if (!may(p, 4) || (write && !may(p, 2))) return false;
    for (p = dirname(p); ; p = dirname(p)) {
      if (!may(p, 1)) return false;
      if (p === dirname(p)) return true;
    }
  }

  /**
   * The {@link kIOUserServerRootReasonKey} for a nub whose driver process opens the device node `path`
   * itself: why it keeps root when the drivers' account may not read and write the node, or null.
   */
  static nodeRootReason(path: string): string | null {
    const account = IODriverAccount.lookup(kIODriverAccountName);
    if (!account || account.canRead(path, true)) return null;
    return `its driver opens ${path}, which ${account.name} may not (a udev rule can give group ${account.name} access)`;
  }

  /** Why a driver process on `nub` must keep root (its nub's reason, or the host's `reasons`), or null. */
  static rootReason(nub: IOService, reasons: readonly string[]): string | null {
    const reason = nub.getProperty(kIOUserServerRootReasonKey);
    if (reason instanceof OSString) return `${nub.getName()}'s backend needs root in the driver process: ${reason.getCStringNoCopy()}`;
    return reasons.length ? reasons.join('; ') : null;
  }

  /**
   * Decides the account for a driver process on `nub` whose files are `paths`: the account, or null
   * with the reason it runs as the host's own user (null reason: the host is not root, nothing to drop).
   * `reasons` are the host's own for keeping root (its family's kernel class, the personality's key).
   */
  static forDriver(nub: IOService, paths: readonly string[], reasons: readonly string[] = []): { account: IODriverAccount | null; why: string | null } {
    if (process.geteuid?.() !== 0) return { account: null, why: null };
    const wanted = process.env[ACCOUNT_ENV] ?? kIODriverAccountName;
    if (wanted === 'root') return { account: null, why: `${ACCOUNT_ENV}=root` };
    const needsRoot = IODriverAccount.rootReason(nub, reasons);
    if (needsRoot) return { account: null, why: needsRoot };
    const account = IODriverAccount.lookup(wanted);
    if (!account) return { account: null, why: `there is no account ${wanted} to run it as (scripts/setup.sh creates ${kIODriverAccountName})` };
    const unreadable = paths.find((p) => !account.canRead(p));
    if (unreadable) return { account: null, why: `${wanted} cannot read ${unreadable}` };
    return { account, why: null };
  }
}
