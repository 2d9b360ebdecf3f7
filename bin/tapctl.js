#!/usr/bin/env node
'use strict';
// Which code runs:
// - In a source checkout (runtime/cli/main.ts is there), the TypeScript sources, through tsx: an edit
//   takes effect without a build, and a dist/ left behind by an earlier build or `npm pack` can never
//   run stale code in place of the sources beside it.
// - In the installed package, which ships no TypeScript, the compiled JavaScript in dist/. tsx is a
//   devDependency and is never loaded there.
// A checkout installed without devDependencies has no tsx: it runs dist/ if a build made one.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'runtime', 'cli', 'main.ts');
const compiled = path.join(root, 'dist', 'runtime', 'cli', 'main.js');

function hasTsx() {
  try {
    require.resolve('tsx/cjs', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

if (fs.existsSync(source) && (hasTsx() || !fs.existsSync(compiled))) {
  require('tsx/cjs');
  require(source);
} else {
  require(compiled);
}
