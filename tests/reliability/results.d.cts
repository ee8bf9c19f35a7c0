export interface ReliabilityRow {
  area: string;
  check: string;
  count: number;
  of: string;
  outcome: 'held' | 'FAILED';
  figures: string;
}
export declare function record(row: ReliabilityRow): void;
export declare function clear(): void;
export declare function read(): Array<ReliabilityRow & { at: string }>;
export declare const file: string;
