#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size --single-threaded-gc
// An idle node allocates little: a 1 MB young generation (V8's default grows to 16 MB
// per semi-space) and V8's size-over-speed mode keep it near 93 MB of RSS instead of
// 120 MB, for about half a percent more of one core (docs/benchmarks.md). Two malloc
// arenas instead of one per thread (glibc's default, up to 8 per core) took another
// 8-12 MB off an idle node, and a garbage collector on the main thread alone saves the
// helper threads' coordination, which on so small a heap costs more than it shares
// ("Footprint").
import '../dist/node/polyfill.js';
// libp2p's logger asks isatty(2) for every logger it makes, and libp2p makes one for
// every stream: answered once here (DEBUG_COLORS is the logger's own setting).
process.env.DEBUG_COLORS ??= String(process.stderr.isTTY === true);
await import('../dist/bundle/shoal.mjs');
