import { h } from './dom.js';

export interface TimedWord {
  word: string;
  start: number;
  end: number;
}

/**
 * Shows the words of a synthesis and marks the one being spoken as the audio plays
 * (class `spoken-now`, aria-current), following the audio's clock frame by frame.
 */
export class WordHighlighter {
  private spans: HTMLSpanElement[] = [];
  private words: TimedWord[] = [];
  private frame = 0;
  private current = -1;

  constructor(
    private readonly container: HTMLElement,
    private readonly audio: HTMLAudioElement,
  ) {
    audio.addEventListener('play', () => this.follow());
    audio.addEventListener('seeked', () => this.update());
    audio.addEventListener('ended', () => this.mark(-1));
  }

  load(words: TimedWord[]): void {
    this.words = words;
    this.current = -1;
    this.spans = words.map((word, index) =>
      h('span', { class: 'word', 'data-index': index, 'data-start': word.start.toFixed(3) }, word.word),
    );
    this.container.replaceChildren();
    this.spans.forEach((span, index) => {
      if (index > 0) this.container.append(' ');
      this.container.append(span);
    });
  }

  clear(): void {
    this.load([]);
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
  }

  private follow(): void {
    cancelAnimationFrame(this.frame);
    const tick = () => {
      this.update();
      if (!this.audio.paused && !this.audio.ended) this.frame = requestAnimationFrame(tick);
    };
    tick();
  }

  private update(): void {
    const time = this.audio.currentTime;
    let index = -1;
    for (let i = 0; i < this.words.length; i++) {
      if (this.words[i].start <= time) index = i;
      else break;
    }
    this.mark(index);
  }

  private mark(index: number): void {
    if (index === this.current) return;
    this.spans[this.current]?.classList.remove('spoken-now');
    this.spans[this.current]?.removeAttribute('aria-current');
    this.current = index;
    this.spans[index]?.classList.add('spoken-now');
    this.spans[index]?.setAttribute('aria-current', 'true');
    this.container.dataset['spokenIndex'] = String(index);
  }
}
