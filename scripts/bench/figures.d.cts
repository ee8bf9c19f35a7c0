export interface BenchFigure {
  figure: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  goal?: string;
  met?: boolean;
}
export function figure(row: BenchFigure): void;
export function clear(): void;
export function read(): (BenchFigure & { package: string; ratio?: number })[];
export const file: string;
