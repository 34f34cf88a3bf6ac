import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = process.cwd();

interface PackageJson {
  version: string;
  engines?: { node?: string };
  scripts: Record<string, string>;
  overrides?: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Whether `version` satisfies a range of `>=X[.Y[.Z]]` terms (the form engines fields here use). */
function satisfiesAtLeast(version: string, range: string): boolean {
  const parts = (text: string) => text.split('.').map((part) => Number(part));
  const have = parts(version.replace(/^v/, ''));
  return range.split(/\s+/).every((term) => {
    const match = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(term);
    assert.ok(match, `engines range term '${term}' is not of the form >=X.Y.Z; extend this check`);
    const want = parts(match[1]);
    for (let i = 0; i < 3; i++) {
      const a = have[i] ?? 0;
      const b = want[i] ?? 0;
      if (a !== b) return a > b;
    }
    return true;
  });
}

describe('installing and building', () => {
  it('installs no package whose engines exclude the Node version the README promises (file-type)', async () => {
    const own = await readJson<PackageJson>(`${ROOT}/package.json`);
    const override = own.overrides?.['file-type'];
    assert.ok(override, 'package.json overrides pins file-type (file-type@22 needs Node 22)');
    // Where npm placed it (hoisted, or under the package that depends on it), as Node resolves it from there.
    const fromNest = createRequire(`${ROOT}/node_modules/@nestjs/common/package.json`);
    const fileTypeDir = dirname(fromNest.resolve('file-type')).replace(
      /(\/node_modules\/file-type)\/.*$/,
      '$1',
    );
    const installed = await readJson<PackageJson>(`${fileTypeDir}/package.json`);
    assert.equal(installed.version, override, 'node_modules has the pinned file-type (run npm install)');
    const range = installed.engines?.node ?? '>=0';
    assert.ok(satisfiesAtLeast(process.version, range), `file-type ${installed.version} needs node ${range}`);
    // The minimum the README promises (package.json engines) must be accepted too, not only this machine's Node.
    const promised = /(\d+\.\d+\.\d+)/.exec(own.engines?.node ?? '')?.[1] ?? '';
    assert.ok(
      satisfiesAtLeast(promised, range),
      `file-type ${installed.version} needs node ${range}, not ${promised}`,
    );
    const lock = await readJson<{ packages: Record<string, { version?: string }> }>(
      `${ROOT}/package-lock.json`,
    );
    const locked = Object.entries(lock.packages).filter(([path]) => path.endsWith('node_modules/file-type'));
    assert.ok(locked.length > 0, 'package-lock.json lists file-type');
    for (const [path, entry] of locked) {
      assert.equal(entry.version, override, `package-lock.json has the override at ${path}`);
    }
  });

  it('builds incrementally: npm start skips the compile when nothing changed', async () => {
    const own = await readJson<PackageJson>(`${ROOT}/package.json`);
    for (const script of ['start', 'migrate', 'doctor']) {
      assert.match(own.scripts[script], /\btsc -b \./, `npm run ${script} uses the incremental build`);
    }
    const tsconfig = await readJson<{ compilerOptions: { incremental?: boolean; tsBuildInfoFile?: string } }>(
      `${ROOT}/tsconfig.json`,
    );
    assert.equal(tsconfig.compilerOptions.incremental, true);
    // Inside dist/, so scripts/test.sh's `rm -rf dist` also forgets the build state: a clean build.
    assert.match(tsconfig.compilerOptions.tsBuildInfoFile ?? '', /^dist\//);
    // The suite has just compiled (scripts/test.sh): the build check finds nothing to do.
    const { stdout } = await run(process.execPath, [
      `${ROOT}/node_modules/typescript/bin/tsc`,
      '-b',
      '--dry',
      '--verbose',
      '.',
    ]);
    assert.match(stdout, /is up to date/, stdout);
  });
});
