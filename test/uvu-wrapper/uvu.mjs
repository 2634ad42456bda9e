// uvu as tests import it under scripts/run-tests.mjs (./register.mjs): the same module,
// with two additions for a suite that goes wrong where nobody watches (CI):
// - each before/after hook, of `test` and of every `suite()`, writes its error's stack
//   to stderr before uvu sees it, since uvu drops a `before` hook's error;
// - the test running now is known, and SIGTERM (the runner's deadline) prints it with
//   what the process still waits on, then exits: a hung test names itself.
import * as uvu from 'uvu';

export * from 'uvu';

/** The suite and test whose handler (or hook) runs now, for the deadline's report. */
let running = 'no test (loading the file, or between tests)';

process.once('SIGTERM', () => {
  const counts = new Map();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const waiting = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
  process.stderr.write(`\nstopped by the test runner's deadline while running ${running}\n  the process waited on: ${waiting}\n`);
  process.exit(124);
});

/** `handler` as a hook that prints what it throws, with where it was registered, then rethrows. */
function printing(label, site, handler) {
  return async (state) => {
    try {
      await handler(state);
    } catch (error) {
      const during = state.__test__ ? ` around test "${state.__test__}"` : '';
      process.stderr.write(`\n${label}${during} failed (registered ${site}):\n${error?.stack ?? String(error)}\n\n`);
      throw error;
    }
  };
}

/** `add` (test.before, test.after.each...) as a registrar whose hooks print their errors. */
function printingRegistrar(label, add) {
  const registrar = (handler) => {
    // The registering call's own frame: the test file and line, for a hook whose error says nothing of it.
    const site = {};
    Error.captureStackTrace(site, registrar);
    add(printing(label, site.stack.split('\n')[1]?.trim() ?? 'at an unknown place', handler));
  };
  return registrar;
}

/** SHOAL_TEST_TIMES=1: each test and hook writes how long it took, to find what makes the suite long. */
const timing = process.env.SHOAL_TEST_TIMES === '1';

/** A test (or hook) handler that records itself as running while it runs. */
function tracked(label, handler) {
  return async (...args) => {
    running = label;
    const started = performance.now();
    try {
      return await handler(...args);
    } finally {
      running = 'no test (between tests)';
      if (timing) process.stderr.write(`\n[time] ${Math.round(performance.now() - started)} ms ${label}\n`);
    }
  };
}

/** A uvu test function whose tests are tracked and whose hook registrars print their errors. */
function guarded(test, name) {
  const suite = name ? `suite "${name}": ` : '';
  const hook = (label, add) => printingRegistrar(`${suite}${label}`, (handler) => add(tracked(`${suite}${label}`, handler)));
  const wrapped = new Proxy(test, {
    apply: (target, self, [testName, handler]) => target.call(self, testName, tracked(`${suite}test "${testName}"`, handler)),
  });
  const { before, after } = test;
  wrapped.before = hook('test.before', before);
  wrapped.before.each = hook('test.before.each', before.each);
  wrapped.after = hook('test.after', after);
  wrapped.after.each = hook('test.after.each', after.each);
  return wrapped;
}

export const test = guarded(uvu.test, '');
export const suite = (name = '', state = {}) => guarded(uvu.suite(name, state), name);

/**
 * uvu's own, then the process ends a second later whatever still holds its event loop
 * (libp2p's and fetch's timers, sockets kept alive): measured, a file whose tests took
 * 1.5 s ended 18 s after it started. The runner ends the process group after it anyway.
 */
export async function exec(bail) {
  await uvu.exec(bail);
  const exit = setTimeout(() => {
    if (timing) process.stderr.write(`\n[time] ended with the event loop still waiting on: ${process.getActiveResourcesInfo().join(', ')}\n`);
    process.exit();
  }, 1_000);
  exit.unref();
}
