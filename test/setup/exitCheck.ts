/**
 * A tier that passed must also end. mocha waits for the event loop to empty after the last test, so
 * a timer or handle that a test (or the code under test) leaked keeps it running until CI's own
 * limit, with no word about why. Once every test has run, this gives the process a grace period
 * to end by itself; past it, it names what is still active and fails the run.
 */

/** Long enough for children and sockets that tests closed to finish closing on a loaded machine. */
const GRACE_MS = 30_000;

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      process.stderr.write(
        `\nThe test process did not end ${GRACE_MS / 1000} s after the last test: something a test started ` +
          `still runs (active: ${process.getActiveResourcesInfo().join(", ")}). Failing instead of waiting.\n`,
      );
      // mocha sets the exit code to the number of failed tests in its own 'exit' listener; this one
      // runs after it.
      process.on("exit", () => (process.exitCode = 1));
      process.exit(1);
    }, GRACE_MS).unref();
  },
};
