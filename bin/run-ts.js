#!/usr/bin/env node
'use strict';
// Runs a TypeScript file of this repository with tsx: `node bin/run-ts.js bench/run.ts [args]`.
const path = require('node:path');
require('tsx/cjs');
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/run-ts.js FILE.ts [args...]\n');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(file));
