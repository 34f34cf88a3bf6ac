import { describeError } from './api-client.js';
import { AudioRecorder } from './audio-recorder.js';
import type { ConsoleContext, ConsoleView } from './console-context.js';
import { field, h, say, seconds, show, statusLine, table } from './dom.js';
import { download, type Segment, toSrt, toVtt } from './subtitles.js';

interface Transcript {
  text: string;
  language: string | null;
  duration_seconds: number;
  engine: string;
  ignored_params: string[];
  segments: Array<Segment & { id: number }>;
  words?: Array<{ text: string; start: number; end: number }>;
}

/** Upload or record speech, read the transcript with word timings, save it as SRT or VTT. */
export class SttView implements ConsoleView {
  readonly id = 'stt';
  readonly title = 'Try STT';
  private readonly file = h('input', {
    id: 'stt-file',
    type: 'file',
    accept: 'audio/*,.wav,.mp3,.m4a,.flac,.ogg,.webm',
  });
  private readonly vocabulary = h('input', { id: 'stt-vocabulary', type: 'text', maxlength: 4000 });
  private readonly language = h('input', {
    id: 'stt-language',
    type: 'text',
    placeholder: 'e.g. en',
    maxlength: 16,
  });
  private readonly record = h(
    'button',
    { type: 'button', id: 'stt-record', 'aria-pressed': 'false' },
    'Record',
  );
  private readonly submit = h('button', { type: 'submit', id: 'stt-submit' }, 'Transcribe');
  private readonly status = statusLine('stt-status');
  private readonly transcript = h('p', { id: 'stt-transcript', class: 'transcript' });
  private readonly wordsBox = h('div', { id: 'stt-words' });
  private readonly downloads = h('div', { class: 'row' });
  private readonly recorder = new AudioRecorder();
  private recording: Blob | null = null;
  private segments: Segment[] = [];

  constructor(private readonly ctx: ConsoleContext) {}

  mount(root: HTMLElement): void {
    const srt = h('button', { type: 'button', id: 'stt-download-srt', disabled: true }, 'Download SRT');
    const vtt = h('button', { type: 'button', id: 'stt-download-vtt', disabled: true }, 'Download VTT');
    srt.addEventListener('click', () =>
      download('transcript.srt', toSrt(this.segments), 'application/x-subrip'),
    );
    vtt.addEventListener('click', () => download('transcript.vtt', toVtt(this.segments), 'text/vtt'));
    this.downloads.replaceChildren(srt, vtt);
    this.record.hidden = !AudioRecorder.supported();
    this.record.addEventListener('click', () => void this.toggleRecording());
    this.file.addEventListener('change', () => {
      this.recording = null;
    });
    const form = h(
      'form',
      { id: 'stt-form', class: 'stack' },
      h('div', { class: 'row' }, field('Audio file', this.file), this.record),
      field(
        'Vocabulary (optional)',
        this.vocabulary,
        'Comma-separated words or phrases; only these can be recognised.',
      ),
      field('Language (optional)', this.language),
      this.submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.transcribe();
    });
    show(
      root,
      h('h2', {}, 'Try STT'),
      form,
      this.status,
      h(
        'section',
        { 'aria-labelledby': 'stt-result-title' },
        h('h3', { id: 'stt-result-title' }, 'Transcript'),
        this.transcript,
        this.downloads,
        this.wordsBox,
      ),
    );
  }

  unmount(): void {
    this.recorder.cancel();
  }

  private async toggleRecording(): Promise<void> {
    try {
      if (this.recorder.recording) {
        this.recording = await this.recorder.stop();
        this.record.textContent = 'Record';
        this.record.setAttribute('aria-pressed', 'false');
        this.file.value = '';
        say(this.status, `Recorded ${(this.recording.size / 32000).toFixed(1)} s; press Transcribe.`, 'ok');
      } else {
        await this.recorder.start();
        this.record.textContent = 'Stop recording';
        this.record.setAttribute('aria-pressed', 'true');
        say(this.status, 'Recording… press Stop recording when done.');
      }
    } catch (error) {
      say(this.status, `The microphone could not be used: ${describeError(error)}`, 'error');
    }
  }

  private async transcribe(): Promise<void> {
    const audio = this.recording ?? this.file.files?.[0];
    if (!audio) {
      say(this.status, 'Choose an audio file or record one first.', 'error');
      return;
    }
    const form = new FormData();
    form.append('file', audio, audio instanceof File ? audio.name : 'recording.wav');
    form.append('response_format', 'verbose_json');
    form.append('timestamps', 'true');
    if (this.vocabulary.value.trim()) form.append('vocabulary', this.vocabulary.value.trim());
    if (this.language.value.trim()) form.append('language', this.language.value.trim());
    this.submit.disabled = true;
    say(this.status, 'Transcribing…');
    try {
      const result = await this.ctx.api.json<Transcript>('POST', '/stt', form);
      this.segments = result.segments;
      this.transcript.textContent = result.text || '(nothing recognised)';
      for (const button of this.downloads.querySelectorAll('button'))
        button.disabled = result.segments.length === 0;
      show(
        this.wordsBox,
        result.words && result.words.length > 0
          ? table(
              ['Word', 'Start', 'End'],
              result.words.map((w) => [w.text, seconds(w.start), seconds(w.end)]),
              'Word timings',
            )
          : h('p', { class: 'hint' }, 'The engine reported no word timings.'),
      );
      say(
        this.status,
        `Transcribed ${seconds(result.duration_seconds)} by ${result.engine}${
          result.ignored_params.length > 0 ? ` (ignored: ${result.ignored_params.join(', ')})` : ''
        }.`,
        'ok',
      );
    } catch (error) {
      say(this.status, `Transcription failed: ${describeError(error)}`, 'error');
    } finally {
      this.submit.disabled = false;
    }
  }
}
