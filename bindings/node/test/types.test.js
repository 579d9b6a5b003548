'use strict';
// index.d.ts compiles a strict TypeScript program (types/usage.ts), whose
// @ts-expect-error lines must also fail: the declarations are not `any`.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('types/usage.ts compiles with tsc --strict --noEmit', () => {
  const here = path.resolve(__dirname, '..');
  const tsc = path.join(here, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--strict', '--noEmit', '--module', 'nodenext', '--target', 'es2022', '--types', '', path.join(here, 'types', 'usage.ts')];
  const run = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});
