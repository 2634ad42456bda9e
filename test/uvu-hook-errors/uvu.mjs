// uvu as tests import it under scripts/run-tests.mjs (./register.mjs): the same module,
// but each before/after hook, of `test` and of every `suite()`, writes its error's stack
// to stderr before uvu sees it, since uvu drops a `before` hook's error (./register.mjs).
import * as uvu from 'uvu';

export * from 'uvu';

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

/** Replaces a uvu test function's hook registrars in place. */
function guarded(test, name) {
  const suite = name ? `suite "${name}": ` : '';
  const { before, after } = test;
  test.before = printingRegistrar(`${suite}test.before`, before);
  test.before.each = printingRegistrar(`${suite}test.before.each`, before.each);
  test.after = printingRegistrar(`${suite}test.after`, after);
  test.after.each = printingRegistrar(`${suite}test.after.each`, after.each);
  return test;
}

export const test = guarded(uvu.test, '');
export const suite = (name = '', state = {}) => guarded(uvu.suite(name, state), name);
