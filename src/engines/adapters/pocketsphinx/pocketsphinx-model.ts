import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';

/** How to get the program, the model and the warm decoder's bindings on Debian. */
export const INSTALL_HINT = 'apt-get install pocketsphinx pocketsphinx-en-us';
export const WARM_INSTALL_HINT = 'apt-get install python3-pocketsphinx';

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the configured model cannot be loaded (a file missing), or null. */
export async function modelFilesProblem(options: PocketsphinxOptions): Promise<string | null> {
  for (const [what, path] of [
    ['acoustic model', join(options.hmm, 'mdef')],
    ['language model', options.lm],
    ['dictionary', options.dict],
  ] as const) {
    if (!(await readable(path))) return `the ${what} ${path} is missing (${INSTALL_HINT})`;
  }
  return null;
}
