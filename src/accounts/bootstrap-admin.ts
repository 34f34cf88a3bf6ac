import { mkdir, open, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { AccountsService, BOOTSTRAP_ADMIN_EMAIL } from './accounts.service.js';

/** Where the one-time bootstrap admin key goes: the terminal, never the log stream. */
export const BOOTSTRAP_KEY_SINK = Symbol('BOOTSTRAP_KEY_SINK');
export type BootstrapKeySink = (message: string) => void;

/** The bootstrap key's file, relative to the working directory (beside the embedded database's data/). */
export const BOOTSTRAP_KEY_FILE = 'data/bootstrap-admin-key.txt';

/** The command that issues a new admin key when the printed one is lost. */
export const NEW_ADMIN_KEY_COMMAND = `npm run cli -- keys create --email ${BOOTSTRAP_ADMIN_EMAIL} --scopes tts,stt,conversation,files,ops,admin`;

/**
 * Writes the key to a file only its owner can read. An older file is replaced, not
 * reopened: opening an existing file keeps its old permissions.
 */
async function writeOwnerOnly(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await unlink(path).catch(() => undefined);
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

function framed(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = '═'.repeat(width + 2);
  return ['', `╔${rule}╗`, ...lines.map((line) => `║ ${line.padEnd(width)} ║`), `╚${rule}╝`, ''].join('\n');
}

/** First start with keys enforced and no admin: creates one and hands its key out once. */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    private readonly accounts: AccountsService,
    private readonly config: ConfigService,
    @Inject(BOOTSTRAP_KEY_SINK) private readonly sink: BootstrapKeySink,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.current.auth.enforce) return;
    const issued = await this.accounts.bootstrapAdmin();
    if (!issued) return;
    const path = this.runtime.bootstrapKeyFile ?? resolve(BOOTSTRAP_KEY_FILE);
    let stored: string;
    try {
      await writeOwnerOnly(path, `${issued.token}\n`);
      stored = `Also written to ${path} (mode 0600); delete that file once the key is stored.`;
    } catch (error) {
      // Never fatal: the terminal still shows the key.
      stored = `Could not write ${path} (${error instanceof Error ? error.message : String(error)}).`;
    }
    this.logger.warn(
      { key_id: issued.key.keyId },
      `no admin existed: created ${BOOTSTRAP_ADMIN_EMAIL}; its key is printed once on the terminal`,
    );
    this.sink(
      framed([
        'speech-gateway bootstrap admin key (shown once; store it now):',
        '',
        issued.token,
        '',
        stored,
        'Use: Authorization: Bearer <key>; create users and keys under /admin.',
        `Lost it? ${NEW_ADMIN_KEY_COMMAND}`,
      ]),
    );
  }
}
