import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, type Repository } from 'typeorm';
import { ConversationTurnEntity } from './conversation-turn.entity.js';
import { ConversationEntity } from './conversation.entity.js';

/** A turn to store; ids and times are the database's. */
export type NewTurn = Omit<ConversationTurnEntity, 'id' | 'conversationId' | 'createdAt'>;

/** The conversations and conversation_turns tables. Every query has bound parameters. */
@Injectable()
export class ConversationsRepository {
  private readonly conversations: Repository<ConversationEntity>;
  private readonly turns: Repository<ConversationTurnEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.conversations = dataSource.getRepository(ConversationEntity);
    this.turns = dataSource.getRepository(ConversationTurnEntity);
  }

  findById(id: string): Promise<ConversationEntity | null> {
    return this.conversations.findOne({ where: { id } });
  }

  /** A user's conversations, the most recently used first. */
  async listByUser(
    userId: number,
    limit: number,
    offset: number,
  ): Promise<{ rows: ConversationEntity[]; total: number }> {
    const [rows, total] = await this.conversations.findAndCount({
      where: { userId },
      order: { updatedAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { rows, total };
  }

  /** Every turn, oldest first. */
  turnsOf(conversationId: string): Promise<ConversationTurnEntity[]> {
    return this.turns.find({ where: { conversationId }, order: { id: 'ASC' } });
  }

  /** The last `count` turns, oldest first. */
  async lastTurns(conversationId: string, count: number): Promise<ConversationTurnEntity[]> {
    if (count <= 0) return [];
    const newestFirst = await this.turns.find({
      where: { conversationId },
      order: { id: 'DESC' },
      take: count,
    });
    return newestFirst.reverse();
  }

  /**
   * Stores the turns of one exchange in one transaction, creating the conversation when it
   * is new (a turn that failed leaves no empty conversation behind). Answers the stored turns.
   */
  appendTurns(
    conversation: { id: string; userId: number; title: string },
    turns: readonly NewTurn[],
  ): Promise<ConversationTurnEntity[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager
        .createQueryBuilder()
        .insert()
        .into(ConversationEntity)
        .values({ id: conversation.id, userId: conversation.userId, title: conversation.title })
        .orIgnore()
        .execute();
      const saved: ConversationTurnEntity[] = [];
      for (const turn of turns) {
        saved.push(
          await manager.save(
            manager.create(ConversationTurnEntity, { ...turn, conversationId: conversation.id }),
          ),
        );
      }
      await manager
        .createQueryBuilder()
        .update(ConversationEntity)
        .set({ turnCount: () => `turn_count + ${turns.length}`, updatedAt: () => 'now()' })
        .where('id = :id', { id: conversation.id })
        .execute();
      return saved;
    });
  }

  /** Deletes a conversation and its turns; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const result = await this.conversations.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /** Deletes conversations last used before `cutoff` (their turns go with them); answers how many. */
  async deleteUnusedSince(cutoff: Date): Promise<number> {
    const result = await this.conversations.delete({ updatedAt: LessThan(cutoff) });
    return result.affected ?? 0;
  }
}
