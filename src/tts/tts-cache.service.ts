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
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
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
  /** Last use in ms. */
  lastUsed: number;
  /** Used since its mtime was last written: the next flush writes lastUsed there. */
  recencyUnsaved: boolean;
  /** Read from the .json on the first hit, then kept (small). */
  meta?: CachedResultMeta;
}

/** How often the last-use times of hits are written to the files' mtime (batched, off the hot path). */
const RECENCY_FLUSH_INTERVAL_MS = 30_000;
/** A result larger than this share of routers.core.tts.cache.memory_mb is always read from disk. */
const MEMORY_ENTRY_SHARE = 4;

/**
 * Content-addressed cache of synthesis results under outputs/cache: the key is a hash of
 * everything that determines the audio (engine, voice, parameters, text, format), so an
 * identical request is served without calling the engine. Bounded by
 * routers.core.tts.cache.max_size_mb with least-recently-used eviction.
 *
 * The index (and each entry's metadata, once read) lives in memory, in recency order; the
 * audio of the most recently used results is also held in memory up to
 * routers.core.tts.cache.memory_mb, so a hit on those touches no file. Last use is kept in
 * memory and written to the files' mtime in batches (every 30 s and at shutdown), which is
 * how the LRU order survives restarts.
 */
@Injectable()
export class TtsCacheService implements OnModuleDestroy {
  private readonly dir: string;
  /** Every entry on disk, least recently used first (a hit moves its entry to the end). */
  private index?: Promise<Map<string, IndexEntry>>;
  /** Audio held in memory, least recently used first. */
  private readonly memory = new Map<string, Buffer>();
  private memoryBytes = 0;
  private totalBytes = 0;
  private entries = 0;
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

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
    let audio = this.memory.get(key);
    try {
      if (!entry.meta || !audio) {
        const [meta, read] = await Promise.all([
          entry.meta ??
            readFile(this.pathOf(key, 'json'), 'utf8').then((text) => JSON.parse(text) as CachedResultMeta),
          audio ?? readFile(this.pathOf(key, 'bin')),
        ]);
        entry.meta = meta;
        audio = read;
        // Evicted while the files were read: do not bring it back into memory.
        if (index.get(key) === entry) this.remember(key, audio);
      } else {
        this.memory.delete(key);
        this.memory.set(key, audio);
      }
    } catch {
      // Removed behind our back (or half-written by a crash): forget it.
      this.forget(index, key);
      this.metrics?.cacheLookup(false);
      return null;
    }
    this.touch(index, key, entry);
    this.metrics?.cacheLookup(true);
    return { audio, meta: entry.meta };
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
    this.add(index, key, audio.length, meta);
    this.remember(key, audio);
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
    this.add(index, key, size, meta);
    await this.evict(index);
  }

  /** Bytes currently held, for tests and status. */
  async sizeBytes(): Promise<number> {
    await this.loadIndex();
    return this.totalBytes;
  }

  /** Bytes of audio currently held in memory, for tests and status. */
  memorySizeBytes(): number {
    return this.memoryBytes;
  }

  /** Writes the last-use times not yet on disk to the files' mtime (also every 30 s). */
  async flushRecency(): Promise<void> {
    await this.flushing;
    const index = await this.index;
    if (!index) return;
    const stale = [...index].filter(([, entry]) => entry.recencyUnsaved);
    this.flushing = (async () => {
      for (const [key, entry] of stale) {
        const when = new Date(entry.lastUsed);
        entry.recencyUnsaved = false;
        await utimes(this.pathOf(key, 'bin'), when, when).catch(() => undefined);
      }
    })();
    await this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushRecency();
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
      const found: Array<[string, IndexEntry]> = [];
      for (const name of await readdir(this.dir)) {
        if (!name.endsWith('.bin')) continue;
        const info = await stat(join(this.dir, name)).catch(() => null);
        if (!info) continue;
        found.push([name.slice(0, -4), { size: info.size, lastUsed: info.mtimeMs, recencyUnsaved: false }]);
        this.totalBytes += info.size;
      }
      const index = new Map(found.sort((a, b) => a[1].lastUsed - b[1].lastUsed));
      this.entries = index.size;
      this.flushTimer = setInterval(() => void this.flushRecency(), RECENCY_FLUSH_INTERVAL_MS);
      this.flushTimer.unref();
      return index;
    })();
    return this.index;
  }

  private add(index: Map<string, IndexEntry>, key: string, size: number, meta: CachedResultMeta): void {
    const now = Date.now();
    index.set(key, { size, lastUsed: now, recencyUnsaved: false, meta });
    this.totalBytes += size;
    this.entries = index.size;
  }

  /** Marks a hit: the entry becomes the most recently used; its mtime follows with the next flush. */
  private touch(index: Map<string, IndexEntry>, key: string, entry: IndexEntry): void {
    entry.lastUsed = Math.max(Date.now(), entry.lastUsed);
    entry.recencyUnsaved = true;
    index.delete(key);
    index.set(key, entry);
  }

  /** Holds the audio in memory when it fits, evicting the least recently used beyond memory_mb. */
  private remember(key: string, audio: Buffer): void {
    const limit = this.config.current.routers.core.tts.cache.memoryMb * 1024 * 1024;
    if (audio.length > limit / MEMORY_ENTRY_SHARE) return;
    this.dropFromMemory(key);
    this.memory.set(key, audio);
    this.memoryBytes += audio.length;
    for (const [oldest, held] of this.memory) {
      if (this.memoryBytes <= limit) break;
      this.memory.delete(oldest);
      this.memoryBytes -= held.length;
    }
  }

  private dropFromMemory(key: string): void {
    const held = this.memory.get(key);
    if (!held) return;
    this.memory.delete(key);
    this.memoryBytes -= held.length;
  }

  private async evict(index: Map<string, IndexEntry>): Promise<void> {
    const limit = this.config.current.routers.core.tts.cache.maxSizeMb * 1024 * 1024;
    // The index is in recency order: the first entries are the least recently used.
    for (const [key] of index) {
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
    this.dropFromMemory(key);
    this.totalBytes -= entry.size;
    this.entries = index.size;
  }
}
