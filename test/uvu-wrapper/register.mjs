// Preloaded (`--import`) by scripts/run-tests.mjs, after tsx: every `import ... from 'uvu'`
// of a test file gets ./uvu.mjs instead, whose before/after hooks print their errors.
// uvu 0.5.6 runs a suite's `before` hooks in a try whose `finally` returns, so an error
// thrown there is dropped: the suite's tests only count as not passed, with no text.
import { register } from 'node:module';

register('./resolve.mjs', import.meta.url);
