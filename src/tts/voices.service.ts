import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';
import type { VoiceGender } from '../engines/ports/engine-health.js';
import { pickStandInVoice } from './stand-in-voice.js';
import type { VoiceEntity } from './voice.entity.js';
import { type VoiceFilter, VoicesRepository } from './voices.repository.js';

/** How long a resolved voice is reused; edits of the voices table show within this time. */
const VOICE_CACHE_TTL_MS = 5000;
const VOICE_CACHE_MAX = 1000;
/** PostgreSQL's unique_violation: the engine voice already has a friendly name. */
const UNIQUE_VIOLATION = '23505';

/** Voices clients can name, seeded from the engines, and how a name resolves to an engine voice. */
@Injectable()
export class VoicesService implements OnApplicationBootstrap {
  private seeding?: Promise<void>;
  /** Recent name lookups; a synthesis should not cost a database round trip for its voice. */
  private readonly recent = new Map<string, { voice: VoiceEntity; until: number }>();

  constructor(
    private readonly voices: VoicesRepository,
    private readonly engines: TtsEngineRegistry,
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.seedFromEngines();
    this.config.onChange((next, previous) => {
      if (JSON.stringify(next.engines.tts) !== JSON.stringify(previous.engines.tts))
        void this.seedFromEngines();
    });
  }

  /** Adds voices of every available engine to the table; concurrent callers share one run. */
  seedFromEngines(): Promise<void> {
    this.seeding ??= this.seedAll().finally(() => {
      this.seeding = undefined;
    });
    return this.seeding;
  }

  list(filter: VoiceFilter): Promise<VoiceEntity[]> {
    return this.voices.findActive(filter);
  }

  /** Adds a voice (admin API, CLI import); 409 CONFLICT when the name or engine voice exists. */
  async create(voice: {
    friendlyName: string;
    engine: string;
    engineVoiceId: string;
    language: string;
    gender?: VoiceGender;
    description?: string | null;
  }): Promise<VoiceEntity> {
    const created = await this.voices.insertOne({
      friendlyName: voice.friendlyName,
      engine: voice.engine,
      engineVoiceId: voice.engineVoiceId,
      language: voice.language.toLowerCase(),
      gender: voice.gender ?? 'unknown',
      description: voice.description ?? null,
      isActive: true,
    });
    if (!created) {
      throw new AppError(
        'CONFLICT',
        `Voice '${voice.friendlyName}' (or ${voice.engine}:${voice.engineVoiceId}) exists.`,
      );
    }
    return created;
  }

  async update(
    friendlyName: string,
    changes: Parameters<VoicesRepository['updateByName']>[1],
  ): Promise<VoiceEntity> {
    const updated = await this.voices.updateByName(friendlyName, changes).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
        throw new AppError(
          'CONFLICT',
          `Another voice already names ${changes.engineVoiceId ?? 'that engine voice'}.`,
        );
      }
      throw error;
    });
    if (!updated) throw new AppError('NOT_FOUND', `No voice named '${friendlyName}'.`);
    this.recent.delete(friendlyName);
    return updated;
  }

  async resolve(friendlyName: string): Promise<VoiceEntity> {
    await this.seeding;
    const now = Date.now();
    const remembered = this.recent.get(friendlyName);
    if (remembered && remembered.until > now) return remembered.voice;
    const voice = await this.voices.findActiveByName(friendlyName);
    if (voice) {
      if (this.recent.size >= VOICE_CACHE_MAX) this.recent.clear();
      this.recent.set(friendlyName, { voice, until: now + VOICE_CACHE_TTL_MS });
    }
    if (!voice) {
      throw new AppError('VOICE_NOT_FOUND', `No voice named '${friendlyName}'. GET /tts/voices lists them.`, {
        voice: friendlyName,
      });
    }
    return voice;
  }

  /** The voice `engine` speaks a request for `voice` in when it stands in (see pickStandInVoice). */
  async standIn(voice: VoiceEntity, engine: string): Promise<VoiceEntity | null> {
    const voices = await this.voices.findActive({ engine });
    return pickStandInVoice(voice, voices, this.config.current.gen.defaultVoice);
  }

  private async seedAll(): Promise<void> {
    this.recent.clear();
    for (const status of await this.engines.statuses()) {
      if (!status.available) continue;
      const lease = this.engines.lease(status.id);
      if ('unavailable' in lease) continue;
      try {
        const added = await this.voices.seed(status.id, await lease.engine.listVoices());
        if (added > 0) this.logger.info({ engine: status.id, added }, 'voices seeded from engine');
      } catch (error) {
        this.logger.warn({ err: error, engine: status.id }, 'cannot seed voices from engine');
      } finally {
        lease.release();
      }
    }
  }
}
