#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources through tsx in a checkout (no build step), or the compiled
// output in an installed package that ships only dist/.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'runtime', 'cli', 'main.ts');
if (fs.existsSync(source)) {
  require('tsx/cjs');
  require(source);
} else {
  require(path.join(__dirname, '..', 'dist', 'runtime', 'cli', 'main.js'));
}
