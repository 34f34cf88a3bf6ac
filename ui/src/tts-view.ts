import { describeError } from './api-client.js';
import { base64Blob, playBlob } from './audio-blob.js';
import type { ConsoleContext, ConsoleView } from './console-context.js';
import { field, h, option, say, seconds, show, statusLine } from './dom.js';
import { type TimedWord, WordHighlighter } from './word-highlighter.js';

interface Voice {
  name: string;
  engine: string;
  language: string;
  gender: string;
  description: string | null;
}
interface VoiceListing {
  voices: Voice[];
  engines: Array<{ id: string; available: boolean }>;
}
interface TtsJson {
  audio_base64: string;
  content_type: string;
  duration_seconds: number;
  voice_used: string;
  engine: string;
  cache?: string;
  fallback_from?: string;
  ignored_params: string[];
  remaining_quota: number | null;
  words?: TimedWord[];
}

const FORMATS = ['wav', 'mp3', 'opus', 'aac', 'flac'];

/** Type text, pick a voice, hear it; with timestamps on, each word lights up as it is spoken. */
export class TtsView implements ConsoleView {
  readonly id = 'tts';
  readonly title = 'Try TTS';
  private readonly text = h('textarea', { id: 'tts-text', rows: 4, required: true, maxlength: 5000 });
  private readonly language = h('input', {
    id: 'tts-language',
    type: 'text',
    placeholder: 'e.g. en',
    maxlength: 16,
  });
  private readonly gender = h(
    'select',
    { id: 'tts-gender' },
    option('', 'any'),
    ...['female', 'male', 'neutral', 'unknown'].map((g) => option(g, g)),
  );
  private readonly engine = h('select', { id: 'tts-engine' }, option('', 'any'));
  private readonly voice = h('select', { id: 'tts-voice' });
  private readonly voiceDescription = h('p', { id: 'tts-voice-description', class: 'hint' });
  private readonly format = h(
    'select',
    { id: 'tts-format' },
    ...FORMATS.map((f) => option(f, f, f === 'wav')),
  );
  private readonly speed = h('input', {
    id: 'tts-speed',
    type: 'number',
    min: 0.25,
    max: 4,
    step: 0.05,
    value: 1,
  });
  private readonly pitch = h('input', {
    id: 'tts-pitch',
    type: 'number',
    min: 0.5,
    max: 2,
    step: 0.05,
    value: 1,
  });
  private readonly timestamps = h('input', { id: 'tts-timestamps', type: 'checkbox', checked: true });
  private readonly submit = h('button', { type: 'submit', id: 'tts-submit' }, 'Synthesize');
  private readonly status = statusLine('tts-status');
  private readonly audio = h('audio', { id: 'tts-audio', controls: true, preload: 'auto' });
  private readonly words = h('p', {
    id: 'tts-words',
    class: 'words',
    'aria-label': 'Words as they are spoken',
  });
  private readonly details = h('dl', { id: 'tts-details', class: 'details' });
  private readonly highlighter = new WordHighlighter(this.words, this.audio);
  private voices: Voice[] = [];

  constructor(private readonly ctx: ConsoleContext) {
    this.text.value = 'Hello from speech-gateway. Every word lights up as it is spoken.';
  }

  mount(root: HTMLElement): void {
    const form = h(
      'form',
      { id: 'tts-form', class: 'stack' },
      field('Text', this.text),
      h(
        'fieldset',
        { class: 'row' },
        h('legend', {}, 'Voice filters'),
        field('Language', this.language),
        field('Gender', this.gender),
        field('Engine', this.engine),
      ),
      field('Voice', this.voice),
      this.voiceDescription,
      h(
        'div',
        { class: 'row' },
        field('Format', this.format),
        field('Speed', this.speed, '0.25–4, 1 = normal'),
        field('Pitch', this.pitch, '0.5–2, 1 = normal'),
      ),
      h(
        'div',
        { class: 'check' },
        this.timestamps,
        h('label', { for: this.timestamps.id }, 'Word timestamps (highlight words as they play)'),
      ),
      this.submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.synthesize();
    });
    for (const filter of [this.gender, this.engine])
      filter.addEventListener('change', () => void this.loadVoices());
    this.language.addEventListener('change', () => void this.loadVoices());
    this.voice.addEventListener('change', () => this.describeVoice());
    this.audio.addEventListener('loadedmetadata', () => {
      this.audio.dataset['duration'] = String(this.audio.duration);
    });
    show(
      root,
      h('h2', {}, 'Try TTS'),
      form,
      this.status,
      h(
        'section',
        { 'aria-labelledby': 'tts-result-title' },
        h('h3', { id: 'tts-result-title' }, 'Result'),
        this.audio,
        this.words,
        this.details,
      ),
    );
    void this.loadVoices();
  }

  unmount(): void {
    this.highlighter.stop();
    this.audio.pause();
  }

  private async loadVoices(): Promise<void> {
    const query = new URLSearchParams();
    if (this.language.value.trim()) query.set('language', this.language.value.trim());
    if (this.gender.value) query.set('gender', this.gender.value);
    if (this.engine.value) query.set('engine', this.engine.value);
    try {
      const listing = await this.ctx.api.get<VoiceListing>(`/tts/voices?${query.toString()}`);
      this.voices = listing.voices;
      if (this.engine.options.length === 1) {
        for (const engine of listing.engines)
          this.engine.append(option(engine.id, `${engine.id}${engine.available ? '' : ' (unavailable)'}`));
      }
      const previous = this.voice.value;
      this.voice.replaceChildren(
        ...listing.voices.map((v) =>
          option(v.name, `${v.name} — ${v.language}, ${v.gender} (${v.engine})`, v.name === previous),
        ),
      );
      if (listing.voices.length === 0) this.voice.append(option('', 'no voice matches the filters'));
      this.describeVoice();
    } catch (error) {
      say(this.status, `Voices could not be listed: ${describeError(error)}`, 'error');
    }
  }

  private describeVoice(): void {
    const voice = this.voices.find((v) => v.name === this.voice.value);
    this.voiceDescription.textContent = voice?.description ?? '';
  }

  private async synthesize(): Promise<void> {
    this.submit.disabled = true;
    say(this.status, 'Synthesizing…');
    this.highlighter.clear();
    const body = {
      text: this.text.value,
      voice: this.voice.value || undefined,
      speed: Number(this.speed.value),
      pitch: Number(this.pitch.value),
      response_format: this.format.value,
      timestamps: this.timestamps.checked || undefined,
    };
    try {
      const withWords = this.timestamps.checked;
      const answer = await this.ctx.api.raw('POST', '/tts', body, withWords ? 'application/json' : 'audio/*');
      const header = (name: string) => answer.headers.get(name);
      let facts: Array<[string, string]>;
      if (withWords) {
        const data = (JSON.parse(await answer.body.text()) as { data: TtsJson }).data;
        playBlob(this.audio, base64Blob(data.audio_base64, data.content_type));
        this.highlighter.load(data.words ?? []);
        facts = [
          ['Duration', seconds(data.duration_seconds)],
          ['Engine', data.engine],
          ['Voice', data.voice_used],
          ['Fallback from', data.fallback_from ?? '—'],
          ['Cache', data.cache ?? header('X-Cache') ?? 'not shown to this key'],
          ['Ignored parameters', data.ignored_params.join(', ') || '—'],
          ['Words', data.words ? String(data.words.length) : 'the engine reports no word times'],
          ['Quota left', seconds(data.remaining_quota)],
        ];
      } else {
        playBlob(this.audio, answer.body);
        facts = [
          ['Duration', seconds(Number(header('X-Audio-Duration')))],
          ['Engine', header('X-Engine') ?? '—'],
          ['Voice', header('X-Voice-Used') ?? '—'],
          ['Fallback from', header('X-Fallback-From') ?? '—'],
          ['Cache', header('X-Cache') ?? 'not shown to this key'],
          ['Ignored parameters', header('X-Ignored-Params') ?? '—'],
          ['Quota left', seconds(Number(header('X-Quota-Remaining') ?? NaN))],
        ];
      }
      show(this.details, ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
      say(this.status, 'Done.', 'ok');
    } catch (error) {
      say(this.status, `Synthesis failed: ${describeError(error)}`, 'error');
    } finally {
      this.submit.disabled = false;
    }
  }
}
