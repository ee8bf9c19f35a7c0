// `npm run bench` in this package: every benchmark of the core, one after the other.
import { run as serialization } from './serialization.bench';

serialization();
