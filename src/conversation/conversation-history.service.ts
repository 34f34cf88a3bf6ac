import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { type Account, RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import type { ChatTurn } from '../engines/ports/chat-engine.js';
import type { ConversationTurnEntity } from './conversation-turn.entity.js';
import type { ConversationEntity } from './conversation.entity.js';
import { ConversationsRepository, type NewTurn } from './conversations.repository.js';

/** The conversation a turn belongs to, as the turn found it. */
export interface OpenConversation {
  id: string;
  userId: number;
  /** False until the first turn is stored. */
  exists: boolean;
  /** The turns sent to the chat engine before the new one (the last history_turns). */
  past: readonly ConversationTurnEntity[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TITLE_LENGTH = 120;

/** The caller (set by the API-key guard on every non-public route). */
export function callerAccount(): Account {
  const account = RequestContextStore.current()?.account;
  if (!account) throw new AppError('INVALID_API_KEY', 'An API key is required.');
  return account;
}

function isAdmin(account: Account): boolean {
  return account.isAdmin && account.scopes.includes('admin');
}

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `No conversation ${id.slice(0, 64)}.`);
}

/**
 * The history stage and the conversation routes' rules: who may see a conversation (its
 * owner; admins too for reading and deleting; anyone else gets 404, as if it did not
 * exist), which past turns go to the chat engine, and storing a finished exchange.
 */
@Injectable()
export class ConversationHistoryService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly config: ConfigService,
  ) {}

  /** The conversation a new turn continues (the caller's own only), or a new one. */
  async open(conversationId: string | undefined, account: Account): Promise<OpenConversation> {
    if (conversationId === undefined) {
      return { id: randomUUID(), userId: account.userId, exists: false, past: [] };
    }
    const conversation = await this.findVisible(conversationId, account, { ownerOnly: true });
    const past = await this.conversations.lastTurns(
      conversation.id,
      this.config.current.routers.core.conversation.historyTurns,
    );
    return { id: conversation.id, userId: conversation.userId, exists: true, past };
  }

  /** What the chat engine reads: the system prompt, the past turns, then the new user turn. */
  chatHistory(conversation: OpenConversation, userText: string): ChatTurn[] {
    const prompt = this.config.current.routers.core.conversation.systemPrompt.trim();
    return [
      ...(prompt ? [{ role: 'system' as const, content: prompt }] : []),
      ...conversation.past.map((turn) => ({ role: turn.role, content: turn.text })),
      { role: 'user', content: userText },
    ];
  }

  /** Stores the user's turn and the reply; answers them as stored. */
  async record(
    conversation: OpenConversation,
    userTurn: NewTurn,
    replyTurn: NewTurn,
  ): Promise<{ user: ConversationTurnEntity; reply: ConversationTurnEntity }> {
    const [user, reply] = await this.conversations.appendTurns(
      { id: conversation.id, userId: conversation.userId, title: userTurn.text.slice(0, TITLE_LENGTH) },
      [userTurn, replyTurn],
    );
    if (!user || !reply) throw new Error('the turns were not stored');
    return { user, reply };
  }

  list(account: Account, limit: number, offset: number) {
    return this.conversations.listByUser(account.userId, limit, offset);
  }

  async withTurns(
    id: string,
    account: Account,
  ): Promise<{ conversation: ConversationEntity; turns: ConversationTurnEntity[] }> {
    const conversation = await this.findVisible(id, account, { ownerOnly: false });
    return { conversation, turns: await this.conversations.turnsOf(conversation.id) };
  }

  async delete(id: string, account: Account): Promise<void> {
    const conversation = await this.findVisible(id, account, { ownerOnly: false });
    if (!(await this.conversations.delete(conversation.id))) throw notFound(id);
  }

  /**
   * The conversation when the caller may see it; 404 otherwise, whether it is another
   * user's or does not exist (an id is not a way to learn that others' conversations exist).
   */
  private async findVisible(
    id: string,
    account: Account,
    rule: { ownerOnly: boolean },
  ): Promise<ConversationEntity> {
    // Not a UUID: no row can have it (and PostgreSQL would refuse to compare it).
    if (!UUID.test(id)) throw notFound(id);
    const conversation = await this.conversations.findById(id.toLowerCase());
    if (!conversation) throw notFound(id);
    const own = conversation.userId === account.userId;
    if (!own && (rule.ownerOnly || !isAdmin(account))) throw notFound(id);
    return conversation;
  }
}
