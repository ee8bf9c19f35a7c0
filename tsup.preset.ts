import type { Options } from 'tsup';

// What every package's build shares. keepNames: esbuild renames a class that refers to itself
// (`var IOService = class _IOService`), and DriverKit names are data here — getClassName(), matching
// on IOProviderClass and IOUserClass, ioreg's output — so the bundle must keep each class's own name.
export const preset = {
  sourcemap: true,
  clean: true,
  target: 'node20',
  keepNames: true,
} satisfies Options;
