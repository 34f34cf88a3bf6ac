import { randomBytes } from 'node:crypto';

/** OpenAI's usage block. */
export interface ChatCompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** OpenAI's `message.audio` of an answer with the audio modality. */
export interface ChatCompletionAudio {
  id: string;
  /** Base64 audio in the requested format. */
  data: string;
  /** Unix seconds; nothing is kept here, so the id cannot be referred to later. */
  expires_at: number;
  transcript: string;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [
    {
      index: 0;
      message: {
        role: 'assistant';
        content: string;
        refusal: null;
        annotations: [];
        audio?: ChatCompletionAudio;
      };
      logprobs: null;
      finish_reason: 'stop';
    },
  ];
  usage: ChatCompletionUsage;
  system_fingerprint: null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    delta: { role?: 'assistant'; content?: string; audio?: ChatCompletionAudio };
    logprobs: null;
    finish_reason: 'stop' | null;
  }>;
  usage?: ChatCompletionUsage | null;
  system_fingerprint: null;
}

/** What every chunk and the completion of one answer share. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** How long OpenAI says an answer's audio may be referred to; informative here. */
const AUDIO_LIFETIME_SECONDS = 3600;

export function newCompletionIdentity(model: string, now = Date.now()): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(now / 1000), model };
}

export function usageOf(promptTokens: number, completionTokens: number): ChatCompletionUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function completionAudio(audio: Buffer, transcript: string, created: number): ChatCompletionAudio {
  return {
    id: `audio_${randomBytes(12).toString('hex')}`,
    data: audio.toString('base64'),
    expires_at: created + AUDIO_LIFETIME_SECONDS,
    transcript,
  };
}

export function chatCompletion(
  identity: CompletionIdentity,
  content: string,
  usage: ChatCompletionUsage,
  audio?: ChatCompletionAudio,
): ChatCompletion {
  return {
    ...identity,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [], ...(audio ? { audio } : {}) },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    system_fingerprint: null,
  };
}

/** A chunk with one choice's delta; `finish` marks the last one. */
export function completionChunk(
  identity: CompletionIdentity,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finish = false,
): ChatCompletionChunk {
  return {
    ...identity,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish ? 'stop' : null }],
    system_fingerprint: null,
  };
}

/** The usage chunk (stream_options.include_usage): no choices, as OpenAI sends it. */
export function usageChunk(identity: CompletionIdentity, usage: ChatCompletionUsage): ChatCompletionChunk {
  return { ...identity, object: 'chat.completion.chunk', choices: [], usage, system_fingerprint: null };
}
