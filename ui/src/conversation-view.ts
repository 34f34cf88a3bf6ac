import { describeError } from './api-client.js';
import { AudioRecorder } from './audio-recorder.js';
import { base64Blob, playBlob } from './audio-blob.js';
import type { ConsoleContext, ConsoleView } from './console-context.js';
import { field, h, say, seconds, show, statusLine } from './dom.js';

interface TurnAnswer {
  conversation_id: string;
  transcript?: { text: string; engine: string };
  reply: { text: string; engine: string; intent?: string };
  audio_base64?: string;
  audio_format: string;
  duration_seconds: number;
}

const CONTENT_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
};

/** A chat with the gateway: type, or hold the talk button; every reply is spoken. */
export class ConversationView implements ConsoleView {
  readonly id = 'conversation';
  readonly title = 'Conversation';
  private readonly log = h('ol', { id: 'conversation-log', class: 'chat', 'aria-live': 'polite' });
  private readonly input = h('input', {
    id: 'conversation-text',
    type: 'text',
    maxlength: 4000,
    autocomplete: 'off',
  });
  private readonly send = h('button', { type: 'submit', id: 'conversation-send' }, 'Send');
  private readonly talk = h(
    'button',
    { type: 'button', id: 'conversation-talk', 'aria-pressed': 'false' },
    'Hold to talk',
  );
  private readonly status = statusLine('conversation-status');
  private readonly recorder = new AudioRecorder();
  private conversationId: string | undefined;

  constructor(private readonly ctx: ConsoleContext) {}

  mount(root: HTMLElement): void {
    const form = h(
      'form',
      { id: 'conversation-form', class: 'row' },
      field('Message', this.input),
      this.send,
      this.talk,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (text) void this.turn({ text });
    });
    const newChat = h('button', { type: 'button', id: 'conversation-new' }, 'New conversation');
    newChat.addEventListener('click', () => {
      this.conversationId = undefined;
      this.log.replaceChildren();
      say(this.status, 'A new conversation starts with your next message.');
    });
    this.talk.hidden = !AudioRecorder.supported();
    // Push to talk with the pointer or, for keyboards, Space/Enter held on the button.
    this.talk.addEventListener('pointerdown', () => void this.startTalking());
    this.talk.addEventListener('pointerup', () => void this.stopTalking());
    this.talk.addEventListener('pointerleave', () => void this.stopTalking());
    this.talk.addEventListener('keydown', (event) => {
      if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
        event.preventDefault();
        void this.startTalking();
      }
    });
    this.talk.addEventListener('keyup', (event) => {
      if (event.key === ' ' || event.key === 'Enter') void this.stopTalking();
    });
    show(root, h('h2', {}, 'Conversation'), this.log, form, newChat, this.status);
  }

  unmount(): void {
    this.recorder.cancel();
  }

  private async startTalking(): Promise<void> {
    if (this.recorder.recording) return;
    try {
      await this.recorder.start();
      this.talk.setAttribute('aria-pressed', 'true');
      say(this.status, 'Listening… release to send.');
    } catch (error) {
      say(this.status, `The microphone could not be used: ${describeError(error)}`, 'error');
    }
  }

  private async stopTalking(): Promise<void> {
    if (!this.recorder.recording) return;
    this.talk.setAttribute('aria-pressed', 'false');
    const speech = await this.recorder.stop();
    await this.turn({ speech });
  }

  private entry(who: 'you' | 'gateway', text: string, extra?: Node): HTMLLIElement {
    const item = h(
      'li',
      { class: `turn turn-${who}` },
      h('strong', {}, who === 'you' ? 'You: ' : 'Gateway: '),
      h('span', { class: 'turn-text' }, text),
    );
    if (extra) item.append(extra);
    this.log.append(item);
    item.scrollIntoView({ block: 'nearest' });
    return item;
  }

  private async turn(input: { text: string } | { speech: Blob }): Promise<void> {
    this.send.disabled = true;
    say(this.status, 'Waiting for the reply…');
    try {
      let body: FormData | Record<string, string>;
      if ('text' in input) {
        this.entry('you', input.text);
        this.input.value = '';
        body = { text: input.text, ...(this.conversationId ? { conversation_id: this.conversationId } : {}) };
      } else {
        body = new FormData();
        body.append('file', input.speech, 'speech.wav');
        if (this.conversationId) body.append('conversation_id', this.conversationId);
      }
      const answer = await this.ctx.api.json<TurnAnswer>('POST', '/conversation', body);
      this.conversationId = answer.conversation_id;
      if (answer.transcript) this.entry('you', answer.transcript.text || '(nothing heard)');
      const audio = h('audio', { controls: true, class: 'reply-audio', 'aria-label': 'Spoken reply' });
      if (answer.audio_base64)
        playBlob(audio, base64Blob(answer.audio_base64, CONTENT_TYPES[answer.audio_format] ?? 'audio/wav'));
      this.entry('gateway', answer.reply.text, audio);
      say(
        this.status,
        `Replied by ${answer.reply.engine}, ${seconds(answer.duration_seconds)} of audio.`,
        'ok',
      );
    } catch (error) {
      say(this.status, `The turn failed: ${describeError(error)}`, 'error');
    } finally {
      this.send.disabled = false;
    }
  }
}
