import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { AccountsService } from './accounts.service.js';

/** Where the one-time bootstrap admin key goes: the terminal, never the log stream. */
export const BOOTSTRAP_KEY_SINK = Symbol('BOOTSTRAP_KEY_SINK');
export type BootstrapKeySink = (message: string) => void;

/** First start with keys enforced and no admin: creates one and hands its key out once. */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    private readonly accounts: AccountsService,
    private readonly config: ConfigService,
    @Inject(BOOTSTRAP_KEY_SINK) private readonly sink: BootstrapKeySink,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.current.auth.enforce) return;
    const issued = await this.accounts.bootstrapAdmin();
    if (!issued) return;
    this.logger.warn(
      { key_id: issued.key.keyId },
      'no admin existed: created admin@localhost; its key was printed once on the terminal',
    );
    this.sink(
      [
        '',
        '=== speech-gateway bootstrap admin key (shown once; store it now) ===',
        issued.token,
        '=== use: Authorization: Bearer <key>; create users and keys under /admin ===',
        '',
      ].join('\n'),
    );
  }
}
