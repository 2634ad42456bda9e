#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --single-threaded-gc
// Two malloc arenas instead of one per thread (glibc's default, up to 8 per core) took
// 8-12 MB off an idle node, and a garbage collector on the main thread alone saves the
// helper threads' coordination, which on so small a heap costs more than it shares
// (docs/benchmarks.md, "Footprint"). The young generation and V8's balance of speed and
// size are left at Node's defaults: a 1 MB young generation with `--optimize-for-size`
// saved 3 MB of an idle node's RSS, and cost a fifth more CPU in a node's first seconds
// and an eighth more under a burst of writes ("Footprint", step 13).
import '../dist/node/polyfill.js';
// libp2p's logger asks isatty(2) for every logger it makes, and libp2p makes one for
// every stream: answered once here (DEBUG_COLORS is the logger's own setting).
process.env.DEBUG_COLORS ??= String(process.stderr.isTTY === true);
await import('../dist/bundle/shoal.mjs');
