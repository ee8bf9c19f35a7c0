import { readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { peerCredentials } from '../native/LinuxNative';

/** Who is at the other end of a host socket connection, as the kernel says (never as the client claims). */
export interface IOClientIdentity {
  pid: number;
  uid: number;
  gid: number;
  /** `/proc/<pid>/exe` at connect time, or null when it cannot be read. */
  executable: string | null;
}

/** Reads the peer of an accepted Unix socket connection through SO_PEERCRED. */
export function identifyPeer(socket: Socket): IOClientIdentity {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor to ask the kernel about');
  const { pid, uid, gid } = peerCredentials(fd);
  let executable: string | null = null;
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // The client exited already, or /proc hides it; the policy then matches on uid and gid only.
  }
  return { pid, uid, gid, executable };
}

/** For messages: `pid 123, uid 1000, /usr/bin/node`. */
export function describeIdentity(id: IOClientIdentity): string {
  return `pid ${id.pid}, uid ${id.uid}${id.executable ? `, ${id.executable}` : ''}`;
}
