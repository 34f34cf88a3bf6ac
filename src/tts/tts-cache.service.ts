import { createHash, randomBytes } from 'node:crypto';
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { GatewayMetrics } from '../observability/metrics/gateway-metrics.js';
import type { WordTiming } from '../engines/ports/audio-clip.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import type { TtsResultMeta } from './tts.service.js';

/** What is stored beside the audio bytes of a cached result. */
export interface CachedResultMeta {
  /** The answer's metadata (voice, engine, content type, ignored parameters, …). */
  result: TtsResultMeta;
  durationSeconds: number;
  words?: WordTiming[];
}

export interface CachedResult {
  audio: Buffer;
  meta: CachedResultMeta;
}

interface IndexEntry {
  size: number;
  lastUsed: number;
}

/**
 * Content-addressed cache of synthesis results under outputs/cache: the key is a hash of
 * everything that determines the audio (engine, voice, parameters, text, format), so an
 * identical request is served without calling the engine. Bounded by
 * routers.core.tts.cache.max_size_mb with least-recently-used eviction; last use survives
 * restarts through the files' mtime.
 */
@Injectable()
export class TtsCacheService {
  private readonly dir: string;
  private index?: Promise<Map<string, IndexEntry>>;
  private totalBytes = 0;
  private entries = 0;

  constructor(
    private readonly config: ConfigService,
    @Inject(BOOT_OPTIONS) runtime: GatewayRuntimeInfo,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: GatewayMetrics,
  ) {
    this.dir = join(runtime.folders.outputs, 'cache');
    metrics?.trackCacheSize(() => ({ bytes: this.totalBytes, entries: this.entries }));
  }

  get enabled(): boolean {
    return this.config.current.routers.core.tts.cache.enabled;
  }

  static keyOf(parts: Record<string, unknown>): string {
    const canonical = JSON.stringify(
      Object.keys(parts)
        .sort()
        .map((key) => [key, parts[key] ?? null]),
    );
    return createHash('sha256').update(canonical).digest('hex');
  }

  async get(key: string): Promise<CachedResult | null> {
    if (!this.enabled) return null;
    const index = await this.loadIndex();
    const entry = index.get(key);
    if (!entry) {
      this.metrics?.cacheLookup(false);
      return null;
    }
    try {
      const [audio, metaText] = await Promise.all([
        readFile(this.pathOf(key, 'bin')),
        readFile(this.pathOf(key, 'json'), 'utf8'),
      ]);
      entry.lastUsed = Date.now();
      const now = new Date();
      void utimes(this.pathOf(key, 'bin'), now, now).catch(() => undefined);
      this.metrics?.cacheLookup(true);
      return { audio, meta: JSON.parse(metaText) as CachedResultMeta };
    } catch {
      // Removed behind our back (or half-written by a crash): forget it.
      this.forget(index, key);
      this.metrics?.cacheLookup(false);
      return null;
    }
  }

  async put(key: string, audio: Buffer, meta: CachedResultMeta): Promise<void> {
    if (!this.enabled) return;
    const index = await this.loadIndex();
    if (index.has(key)) return;
    try {
      await this.writeAtomically(this.pathOf(key, 'json'), JSON.stringify(meta));
      await this.writeAtomically(this.pathOf(key, 'bin'), audio);
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot write a cache entry');
      return;
    }
    index.set(key, { size: audio.length, lastUsed: Date.now() });
    this.totalBytes += audio.length;
    this.entries = index.size;
    await this.evict(index);
  }

  /**
   * Stores a result whose audio is already in a finished file (long text written
   * incrementally), without reading it into memory. The source file is copied, so the
   * caller keeps it.
   */
  async putFile(key: string, sourcePath: string, meta: CachedResultMeta): Promise<void> {
    if (!this.enabled) return;
    const index = await this.loadIndex();
    if (index.has(key)) return;
    let size: number;
    try {
      size = (await stat(sourcePath)).size;
      await this.writeAtomically(this.pathOf(key, 'json'), JSON.stringify(meta));
      const target = this.pathOf(key, 'bin');
      const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      await copyFile(sourcePath, temporary);
      await rename(temporary, target);
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot write a cache entry');
      return;
    }
    index.set(key, { size, lastUsed: Date.now() });
    this.totalBytes += size;
    this.entries = index.size;
    await this.evict(index);
  }

  /** Bytes currently held, for tests and status. */
  async sizeBytes(): Promise<number> {
    await this.loadIndex();
    return this.totalBytes;
  }

  private pathOf(key: string, extension: 'bin' | 'json'): string {
    return join(this.dir, `${key}.${extension}`);
  }

  private async writeAtomically(path: string, data: string | Buffer): Promise<void> {
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  private loadIndex(): Promise<Map<string, IndexEntry>> {
    this.index ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const index = new Map<string, IndexEntry>();
      for (const name of await readdir(this.dir)) {
        if (!name.endsWith('.bin')) continue;
        const info = await stat(join(this.dir, name)).catch(() => null);
        if (!info) continue;
        index.set(name.slice(0, -4), { size: info.size, lastUsed: info.mtimeMs });
        this.totalBytes += info.size;
      }
      this.entries = index.size;
      return index;
    })();
    return this.index;
  }

  private async evict(index: Map<string, IndexEntry>): Promise<void> {
    const limit = this.config.current.routers.core.tts.cache.maxSizeMb * 1024 * 1024;
    if (this.totalBytes <= limit) return;
    const oldestFirst = [...index.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key] of oldestFirst) {
      if (this.totalBytes <= limit) break;
      this.forget(index, key);
      await Promise.all([
        unlink(this.pathOf(key, 'bin')).catch(() => undefined),
        unlink(this.pathOf(key, 'json')).catch(() => undefined),
      ]);
    }
  }

  private forget(index: Map<string, IndexEntry>, key: string): void {
    const entry = index.get(key);
    if (!entry) return;
    index.delete(key);
    this.totalBytes -= entry.size;
    this.entries = index.size;
  }
}
