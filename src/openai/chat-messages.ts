import { AppError } from '../common/app-error.js';
import type { ChatTurn } from '../engines/ports/chat-engine.js';

/** Input audio formats OpenAI's `input_audio` part names. */
export const INPUT_AUDIO_FORMATS = ['wav', 'mp3'] as const;
export type InputAudioFormat = (typeof INPUT_AUDIO_FORMATS)[number];

export type ChatMessagePart =
  | { kind: 'text'; text: string }
  /** `field` names the part's data in errors (`messages[2].content[1].input_audio.data`). */
  | { kind: 'audio'; audio: Buffer; format: InputAudioFormat; field: string };

/** One message of a chat completion request, checked; audio parts still to be transcribed. */
export interface ChatMessage {
  role: ChatTurn['role'];
  parts: ChatMessagePart[];
  /** `messages[i]`, for errors. */
  field: string;
}

export interface ChatMessageLimits {
  /** Longest text of one message, in characters (routers.core.conversation.max_text_length). */
  maxTextLength: number;
}

const ROLES: Readonly<Record<string, ChatTurn['role']>> = {
  system: 'system',
  // OpenAI's newer name for system instructions.
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
};

/** Keys a message may carry (what an SDK echoes back from a previous answer included). */
const MESSAGE_KEYS = new Set([
  'role',
  'content',
  'name',
  'refusal',
  'annotations',
  'audio',
  'tool_calls',
  'function_call',
]);

function invalid(field: string, reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${reason}.`, { fields: [{ field, errors: [reason] }] });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/**
 * Checks OpenAI chat messages and reads them into roles and parts: roles system, developer
 * (as system), user and assistant; content a string or a list of parts — `text` for every
 * role, `input_audio` (base64 WAV or MP3) in user messages. Tool calls, tool messages,
 * images and files are refused naming the field (400), as is a message longer than the
 * limit or a conversation that does not end with the user's message.
 */
export function parseChatMessages(raw: readonly unknown[], limits: ChatMessageLimits): ChatMessage[] {
  const messages = raw.map((item, index) => parseMessage(item, `messages[${index}]`, limits));
  if (messages.at(-1)?.role !== 'user') {
    throw invalid(`messages[${messages.length - 1}].role`, "the last message must be the user's (role user)");
  }
  return messages;
}

function parseMessage(raw: unknown, field: string, limits: ChatMessageLimits): ChatMessage {
  if (!isRecord(raw)) throw invalid(field, 'must be an object');
  const unknownKey = Object.keys(raw).find((key) => !MESSAGE_KEYS.has(key));
  if (unknownKey !== undefined)
    throw invalid(`${field}.${unknownKey.slice(0, 64)}`, 'is not a message field');
  const roleName = raw.role;
  if (roleName === 'tool' || roleName === 'function') {
    throw invalid(
      `${field}.role`,
      `${roleName} messages are not supported here: no chat engine calls functions`,
    );
  }
  const role = typeof roleName === 'string' && Object.hasOwn(ROLES, roleName) ? ROLES[roleName] : undefined;
  if (!role) throw invalid(`${field}.role`, 'must be one of system, developer, user, assistant');
  if (raw.name !== undefined && typeof raw.name !== 'string')
    throw invalid(`${field}.name`, 'must be a string');
  if (!isEmpty(raw.tool_calls) || !isEmpty(raw.function_call)) {
    throw invalid(`${field}.tool_calls`, 'tool calls are not supported here');
  }
  if (role !== 'assistant') {
    for (const key of ['refusal', 'annotations', 'audio'] as const) {
      if (raw[key] !== undefined) throw invalid(`${field}.${key}`, `only an assistant message has ${key}`);
    }
  }
  const content = raw.content;
  if (typeof content === 'string') {
    checkLength(content, `${field}.content`, limits);
    return { role, parts: [{ kind: 'text', text: content }], field };
  }
  if (!Array.isArray(content)) {
    const why =
      content === null || content === undefined
        ? 'is required (a previous answer’s audio is not kept here: send its transcript as content)'
        : 'must be a string or a list of content parts';
    throw invalid(`${field}.content`, why);
  }
  if (content.length === 0) throw invalid(`${field}.content`, 'must contain at least one part');
  const parts = content.map((part, index) => parsePart(part, `${field}.content[${index}]`, role));
  const text = parts.map((part) => (part.kind === 'text' ? part.text : '')).join('');
  checkLength(text, `${field}.content`, limits);
  return { role, parts, field };
}

function parsePart(raw: unknown, field: string, role: ChatTurn['role']): ChatMessagePart {
  if (!isRecord(raw)) throw invalid(field, 'must be an object');
  const type = raw.type;
  if (type === 'text' || (type === 'refusal' && role === 'assistant')) {
    const key = type === 'text' ? 'text' : 'refusal';
    const text = raw[key];
    if (typeof text !== 'string') throw invalid(`${field}.${key}`, 'must be a string');
    return { kind: 'text', text };
  }
  if (type === 'input_audio') {
    if (role !== 'user') throw invalid(`${field}.type`, 'input_audio parts belong in user messages');
    return parseInputAudio(raw.input_audio, `${field}.input_audio`);
  }
  if (type === 'image_url' || type === 'file') {
    throw invalid(`${field}.type`, `${type} parts are not supported here (text and input_audio are)`);
  }
  throw invalid(`${field}.type`, role === 'user' ? 'must be text or input_audio' : 'must be text');
}

function parseInputAudio(raw: unknown, field: string): ChatMessagePart {
  if (!isRecord(raw)) throw invalid(field, 'must be an object with data and format');
  const { data, format } = raw;
  if (format !== 'wav' && format !== 'mp3') throw invalid(`${field}.format`, 'must be wav or mp3');
  if (typeof data !== 'string' || data.length === 0) {
    throw invalid(`${field}.data`, 'must be the audio, base64-encoded');
  }
  // Standard, padded base64 as OpenAI's SDKs send it: what decodes and re-encodes to itself
  // (Buffer.from alone skips any character it does not know).
  const audio = Buffer.from(data, 'base64');
  if (audio.toString('base64') !== data) throw invalid(`${field}.data`, 'is not valid base64');
  return { kind: 'audio', audio, format, field: `${field}.data` };
}

function checkLength(text: string, field: string, limits: ChatMessageLimits): void {
  if (text.length > limits.maxTextLength) {
    throw new AppError(
      'TEXT_TOO_LONG',
      `${field} is longer than ${limits.maxTextLength} characters (routers.core.conversation.max_text_length).`,
      {
        fields: [{ field, errors: [`must be at most ${limits.maxTextLength} characters`] }],
        limit: { name: 'routers.core.conversation.max_text_length', value: limits.maxTextLength },
      },
    );
  }
}
