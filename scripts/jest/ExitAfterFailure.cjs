// A jest reporter: after a run with failures, jest gets a few seconds to exit on its own, then is made to.
// A failed assertion often skips the cleanup that closes a host or a link, and jest would then wait on
// that open handle forever (a CI run once did). A passing run is left alone, so a handle a library
// leaks still shows as a run that does not end.
const kGraceMs = 10_000;

class ExitAfterFailure {
  onRunComplete(_contexts, results) {
    if (results.numFailedTests === 0 && results.numFailedTestSuites === 0 && results.numRuntimeErrorTestSuites === 0) return;
    setTimeout(() => {
      process.stderr.write(`jest: the failed run left handles open ${kGraceMs / 1000} s after it ended; exiting (run with --detectOpenHandles to see them)\n`);
      process.exit(1);
    }, kGraceMs).unref();
  }
}

module.exports = ExitAfterFailure;
