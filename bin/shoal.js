#!/usr/bin/env node
import '../dist/node/polyfill.js';
await import('../dist/cli/main.js');
