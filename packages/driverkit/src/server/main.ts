// The driver-process entry (`@driverkit/driverkit/server`). It imports the core through the package
// name, so the driver package it loads shares this very copy of IOService and the rest.
import { runUserServer } from '@driverkit/driverkit';

runUserServer();
