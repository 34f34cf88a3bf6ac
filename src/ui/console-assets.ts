import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';

/** Where `npm run build:ui` puts the console (dist/ui, beside dist/src). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** Only flat file names the build writes: no folders, no dot files, nothing a path could escape with. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(?:html|js|css|svg|png|ico)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

/** The console's built files, read from disk on each request (they are few and small). */
@Injectable()
export class ConsoleAssets {
  constructor(private readonly dir: string = CONSOLE_DIR) {}

  async read(name: string): Promise<ConsoleAsset> {
    if (!ASSET_NAME.test(name)) throw new AppError('NOT_FOUND', 'No such console file.');
    const body = await readFile(`${this.dir}${name}`).catch((error: unknown) => {
      if (name === 'index.html') {
        throw new AppError(
          'SERVICE_NOT_READY',
          'The console is not built on this server: run `npm run build:ui` (npm start does it).',
        );
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new AppError('NOT_FOUND', 'No such console file.');
      throw error;
    });
    return { body, contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream' };
  }
}
