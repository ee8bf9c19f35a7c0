export type Snapshot = Record<string, string[]>;
export interface LeakDirs {
  tty?: string;
  audio?: string;
  shm?: string;
}
export function snapshot(dirs?: LeakDirs): Snapshot;
export function leaks(before: Snapshot, after: Snapshot): string[];
export function leaksSince(before: Snapshot, graceMs?: number, dirs?: LeakDirs, only?: (leak: string) => boolean): Promise<string[]>;
