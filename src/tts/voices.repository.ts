import { Injectable } from '@nestjs/common';
import { DataSource, type FindOptionsWhere, type Repository } from 'typeorm';
import type { EngineVoice, VoiceGender } from '../engines/ports/engine-health.js';
import { VoiceEntity } from './voice.entity.js';

export interface VoiceFilter {
  language?: string;
  gender?: VoiceGender;
  engine?: string;
}

/** The voices table. Every query is built by TypeORM with bound parameters. */
@Injectable()
export class VoicesRepository {
  private readonly repository: Repository<VoiceEntity>;

  constructor(dataSource: DataSource) {
    this.repository = dataSource.getRepository(VoiceEntity);
  }

  findActive(filter: VoiceFilter): Promise<VoiceEntity[]> {
    const where: FindOptionsWhere<VoiceEntity> = { isActive: true };
    if (filter.language) where.language = filter.language;
    if (filter.gender) where.gender = filter.gender;
    if (filter.engine) where.engine = filter.engine;
    return this.repository.find({ where, order: { language: 'ASC', friendlyName: 'ASC' } });
  }

  findByName(friendlyName: string): Promise<VoiceEntity | null> {
    return this.repository.findOne({ where: { friendlyName } });
  }

  /** Inserts a voice; null when the friendly name (or the engine's voice) is already there. */
  async insertOne(voice: Omit<VoiceEntity, 'id' | 'createdAt' | 'updatedAt'>): Promise<VoiceEntity | null> {
    const result = await this.repository
      .createQueryBuilder()
      .insert()
      .into(VoiceEntity)
      .values(voice)
      .orIgnore()
      .execute();
    if (!result.identifiers[0]) return null;
    return this.findByName(voice.friendlyName);
  }

  async updateByName(
    friendlyName: string,
    changes: Partial<Pick<VoiceEntity, 'engineVoiceId' | 'language' | 'gender' | 'description' | 'isActive'>>,
  ): Promise<VoiceEntity | null> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    if (Object.keys(defined).length > 0) await this.repository.update({ friendlyName }, defined);
    return this.findByName(friendlyName);
  }

  findActiveByName(friendlyName: string): Promise<VoiceEntity | null> {
    return this.repository.findOne({ where: { friendlyName, isActive: true } });
  }

  /**
   * Adds an engine's voices that the table does not know yet. The friendly name is the
   * engine's voice id, or `<engine>:<voice id>` when another engine already uses that name.
   * Existing rows (and operators' edits of them) are left alone.
   */
  async seed(engineId: string, voices: EngineVoice[]): Promise<number> {
    if (voices.length === 0) return 0;
    const known = await this.repository.find({
      select: { friendlyName: true, engine: true, engineVoiceId: true },
    });
    const taken = new Set(known.map((v) => v.friendlyName));
    const present = new Set(known.filter((v) => v.engine === engineId).map((v) => v.engineVoiceId));
    const rows = voices
      .filter((voice) => !present.has(voice.id))
      .map((voice) => {
        const friendlyName = taken.has(voice.id) ? `${engineId}:${voice.id}` : voice.id;
        taken.add(friendlyName);
        return {
          friendlyName,
          engine: engineId,
          engineVoiceId: voice.id,
          language: voice.language.toLowerCase(),
          gender: voice.gender,
          isActive: true,
          description: voice.description ?? voice.name,
        };
      });
    if (rows.length === 0) return 0;
    // Another node may seed at the same moment; conflicts are theirs to keep.
    const result = await this.repository
      .createQueryBuilder()
      .insert()
      .into(VoiceEntity)
      .values(rows)
      .orIgnore()
      .execute();
    return result.identifiers.filter(Boolean).length;
  }
}
