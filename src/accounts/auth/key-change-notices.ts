import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../../common/injection-tokens.js';
import { ConfigService } from '../../config/config.service.js';
import type { GatewayRuntimeInfo } from '../../gateway-runtime-info.js';
import { keyChangesChannel } from '../api-keys.repository.js';
import { ApiKeyService } from '../api-key.service.js';
import type { KeyChange } from './verified-key-cache.js';

const RECONNECT_MS = 1000;

/** A notice's payload, as sent by Redis publishers and the repositories' pg_notify. */
export function parseKeyChange(payload: string | undefined): KeyChange | 'all' {
  try {
    const parsed = JSON.parse(payload ?? '') as { keyId?: unknown; userId?: unknown };
    if (typeof parsed.keyId === 'string') return { keyId: parsed.keyId };
    if (typeof parsed.userId === 'number') return { userId: parsed.userId };
  } catch {
    // Not ours or garbled: forgetting everything is always safe.
  }
  return 'all';
}

/**
 * Tells every node's key cache (ApiKeyService) about revoked, rotated and changed keys and
 * users. This node forgets at once; the others hear it through Redis pub/sub when
 * rate_limits.redis_url is set, else through PostgreSQL LISTEN (the statements that make
 * such changes notify, whoever runs them). The embedded database has no notifications
 * across processes: there, auth.key_cache_seconds alone bounds how long another process
 * may accept a revoked key. When the listening connection drops (or comes up), every
 * remembered key is forgotten, since notices may have been missed.
 */
@Injectable()
export class KeyChangeNotices implements OnModuleInit, OnModuleDestroy {
  private publisher?: Redis;
  private subscriber?: Redis;
  private listener?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;
  private listenerLost = false;

  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Optional() @Inject(BOOT_OPTIONS) private readonly runtime?: GatewayRuntimeInfo,
  ) {}

  private get redisChannel(): string {
    return `speech-gateway:key-changes:${this.config.current.database.schema}`;
  }

  async onModuleInit(): Promise<void> {
    const settings = this.config.current;
    if (settings.auth.keyCacheSeconds <= 0) return;
    const redisUrl = settings.rateLimits.redisUrl;
    if (redisUrl) {
      this.startRedis(redisUrl);
    } else if (this.runtime?.databaseKind === 'postgres' && settings.database.url) {
      await this.listen(settings.database.url);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
    await this.listener?.end().catch(() => undefined);
  }

  /** A change made on this node: forgotten here at once, and announced to the others. */
  announce(change: KeyChange): void {
    this.apiKeys.forget(change);
    // PostgreSQL was notified by the statement itself; Redis needs a message.
    this.publisher?.publish(this.redisChannel, JSON.stringify(change)).catch((error: unknown) => {
      this.logger.warn(
        { err: error },
        'key change not announced on Redis; other nodes rely on key_cache_seconds',
      );
    });
  }

  private startRedis(url: string): void {
    const options = { maxRetriesPerRequest: 1, retryStrategy: () => RECONNECT_MS, lazyConnect: false };
    this.publisher = new Redis(url, options);
    this.publisher.on('error', () => undefined);
    this.subscriber = new Redis(url, options);
    // Errors surface as reconnects; ioredis needs a listener not to crash the process.
    this.subscriber.on('error', () => undefined);
    // Notices missed while disconnected are unknown: nothing remembered is trusted any longer.
    this.subscriber.on('ready', () => this.apiKeys.forget('all'));
    this.subscriber.on('close', () => this.apiKeys.forget('all'));
    this.subscriber.on('message', (_channel: string, message: string) => {
      this.apiKeys.forget(parseKeyChange(message));
    });
    void this.subscriber.subscribe(this.redisChannel).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'cannot subscribe to key changes on Redis');
    });
  }

  private async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    const channel = keyChangesChannel(this.config.current.database.schema);
    const lost = (error?: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.apiKeys.forget('all');
      client.end().catch(() => undefined);
      if (this.stopped) return;
      // Once per outage: a database that stays away is reported elsewhere.
      if (!this.listenerLost) this.logger.warn({ err: error }, 'key change notifications lost; reconnecting');
      this.listenerLost = true;
      this.reconnectTimer = setTimeout(() => void this.listen(url), RECONNECT_MS);
      this.reconnectTimer.unref();
    };
    client.on('notification', (message) => this.apiKeys.forget(parseKeyChange(message.payload)));
    client.on('error', lost);
    client.on('end', () => lost());
    this.listener = client;
    try {
      await client.connect();
      // The channel is built from the validated schema name; quoting keeps it one identifier.
      await client.query(`LISTEN "${channel}"`);
      // Changes made before LISTEN took effect were not heard.
      this.apiKeys.forget('all');
      if (this.listenerLost) this.logger.info('key change notifications are back');
      this.listenerLost = false;
    } catch (error) {
      lost(error);
    }
  }
}
