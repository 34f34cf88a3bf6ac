import { describeError } from './api-client.js';
import type { ConsoleContext, ConsoleView } from './console-context.js';
import { field, h, option, say, show, statusLine } from './dom.js';
import { saveBlob } from './save-blob.js';

const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
type JobStatus = (typeof STATUSES)[number];
const TYPES = ['tts', 'stt'] as const;
const FORMATS = ['wav', 'mp3', 'opus', 'aac', 'flac'];
const PAGE_SIZE = 20;
const FASTEST_POLL_MS = 1000;
/** Share of the plan's requests per minute the live list may spend on polling. */
const POLL_BUDGET = 0.25;

/** GET /jobs/{id}, the fields shown here. */
interface Job {
  job_id: string;
  type: string;
  status: JobStatus;
  progress: number;
  stage: string;
  eta_seconds: number | null;
  created_at: string;
  error?: { error_code: string; message: string };
  result?: { format: string; bytes: number; duration_seconds: number };
}
interface JobPage {
  jobs: Job[];
  total: number;
  limit: number;
  offset: number;
}
interface Voice {
  name: string;
  language: string;
  engine: string;
}

function isActive(status: JobStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** One job's table row; updated in place so a focused button keeps its focus. */
class JobRow {
  readonly element: HTMLTableRowElement;
  private readonly statusText = h('span', { class: 'state' });
  private readonly bar: HTMLProgressElement;
  private readonly percent = h('span', { class: 'hint' });
  private readonly stage = h('td', {});
  private readonly eta = h('td', {});
  private readonly actions = h('td', { class: 'job-actions' });
  private shownPhase = '';
  status: JobStatus;

  constructor(
    job: Job,
    private readonly act: {
      cancel(job: Job): Promise<void>;
      download(job: Job): Promise<void>;
      /** A job seen queued or running here has just ended. */
      ended(job: Job): void;
    },
  ) {
    this.status = job.status;
    const name = `${job.type.toUpperCase()} job ${job.job_id.slice(0, 8)}`;
    this.bar = h('progress', { max: 1, value: 0, 'aria-label': `Progress of ${name}` });
    this.element = h(
      'tr',
      { id: `job-${job.job_id}`, 'data-job-id': job.job_id },
      h('td', {}, job.type.toUpperCase()),
      h('td', {}, this.statusText),
      h('td', { class: 'job-progress' }, this.bar, this.percent),
      this.actions,
      this.stage,
      this.eta,
      h('td', {}, new Date(job.created_at).toLocaleString()),
    );
    this.update(job);
  }

  update(job: Job): void {
    this.status = job.status;
    this.element.dataset['status'] = job.status;
    this.bar.value = job.status === 'completed' ? 1 : job.progress;
    this.percent.textContent = ` ${Math.round(this.bar.value * 100)} %`;
    this.stage.textContent = job.stage || '—';
    this.eta.textContent = isActive(job.status) && job.eta_seconds !== null ? `${job.eta_seconds} s` : '—';
    this.statusText.textContent = job.status;
    this.statusText.className = `state job-${job.status}`;
    // Queued → running keeps the same Cancel button (and its focus); only an ending rebuilds.
    const phase = isActive(job.status) ? 'active' : job.status;
    if (phase === this.shownPhase) return;
    if (this.shownPhase === 'active') this.act.ended(job);
    this.shownPhase = phase;
    show(this.actions, ...this.actionsFor(job));
  }

  private actionsFor(job: Job): Node[] {
    const name = `${job.type.toUpperCase()} job ${job.job_id.slice(0, 8)}`;
    if (isActive(job.status)) {
      const cancel = h(
        'button',
        { type: 'button', class: 'danger job-cancel', 'aria-label': `Cancel ${name}` },
        'Cancel',
      );
      cancel.addEventListener('click', () => {
        cancel.disabled = true;
        void this.act.cancel(job).finally(() => {
          cancel.disabled = false;
        });
      });
      return [cancel];
    }
    if (job.status === 'completed' && job.result) {
      const download = h(
        'button',
        { type: 'button', class: 'job-download', 'aria-label': `Download the result of ${name}` },
        'Download result',
      );
      download.addEventListener('click', () => {
        download.disabled = true;
        void this.act.download(job).finally(() => {
          download.disabled = false;
        });
      });
      return [
        download,
        h(
          'small',
          { class: 'hint' },
          ` ${job.result.format}, ${job.result.bytes} bytes, ${job.result.duration_seconds} s`,
        ),
      ];
    }
    if (job.error)
      return [h('p', { class: 'job-error error' }, `${job.error.message} (${job.error.error_code})`)];
    return [];
  }
}

/** The key's background jobs, live while any runs: cancel, download results, submit a TTS job. */
export class JobsView implements ConsoleView {
  readonly id = 'jobs';
  readonly title = 'Jobs';
  private readonly text = h('textarea', { id: 'jobs-tts-text', rows: 4, required: true, maxlength: 200_000 });
  private readonly voice = h('select', { id: 'jobs-tts-voice' }, option('', 'default voice'));
  private readonly format = h(
    'select',
    { id: 'jobs-tts-format' },
    ...FORMATS.map((f) => option(f, f, f === 'wav')),
  );
  private readonly submit = h('button', { type: 'submit', id: 'jobs-tts-submit' }, 'Submit TTS job');
  private readonly statusFilter = h(
    'select',
    { id: 'jobs-filter-status' },
    option('', 'any'),
    ...STATUSES.map((s) => option(s, s)),
  );
  private readonly typeFilter = h(
    'select',
    { id: 'jobs-filter-type' },
    option('', 'any'),
    ...TYPES.map((t) => option(t, t.toUpperCase())),
  );
  private readonly status = statusLine('jobs-status');
  private readonly summary = h('p', { id: 'jobs-summary', class: 'hint' });
  private readonly body = h('tbody', { id: 'jobs-rows' });
  private readonly newer = h('button', { type: 'button', id: 'jobs-newer' }, 'Newer');
  private readonly older = h('button', { type: 'button', id: 'jobs-older' }, 'Older');
  private rows = new Map<string, JobRow>();
  private offset = 0;
  private timer = 0;
  private mounted = false;
  /** Answers to an older request (filters changed meanwhile) are dropped. */
  private generation = 0;

  constructor(private readonly ctx: ConsoleContext) {
    this.text.value = 'A background job: the audio is stored, and you download it when it is done.';
  }

  mount(root: HTMLElement): void {
    this.mounted = true;
    for (const filter of [this.statusFilter, this.typeFilter])
      filter.addEventListener('change', () => {
        this.offset = 0;
        void this.refresh();
      });
    this.newer.addEventListener('click', () => {
      this.offset = Math.max(0, this.offset - PAGE_SIZE);
      void this.refresh();
    });
    this.older.addEventListener('click', () => {
      this.offset += PAGE_SIZE;
      void this.refresh();
    });
    show(
      root,
      h('h2', {}, 'Jobs'),
      this.ctx.can('tts') ? this.submitForm() : null,
      this.status,
      h(
        'section',
        { 'aria-labelledby': 'jobs-list-title' },
        h('h3', { id: 'jobs-list-title' }, 'Your jobs'),
        h(
          'fieldset',
          { class: 'row' },
          h('legend', {}, 'Filter'),
          field('Status', this.statusFilter),
          field('Type', this.typeFilter),
        ),
        this.summary,
        h(
          'table',
          { id: 'jobs-table' },
          h('caption', {}, 'Your jobs, newest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Type', 'Status', 'Progress', 'Result', 'Stage', 'ETA', 'Created'].map((text) =>
                h('th', { scope: 'col' }, text),
              ),
            ),
          ),
          this.body,
        ),
        h('div', { class: 'row' }, this.newer, this.older),
      ),
    );
    if (this.ctx.can('tts')) void this.loadVoices();
    void this.refresh();
  }

  unmount(): void {
    this.mounted = false;
    clearTimeout(this.timer);
  }

  private submitForm(): HTMLElement {
    const form = h(
      'form',
      { id: 'jobs-tts-form', class: 'stack', 'aria-labelledby': 'jobs-form-title' },
      h('h3', { id: 'jobs-form-title' }, 'Submit a TTS job'),
      field('Text', this.text, 'Up to the jobs limit (200,000 characters by default); long texts are fine.'),
      h('div', { class: 'row' }, field('Voice', this.voice), field('Format', this.format)),
      this.submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitJob();
    });
    return h('section', {}, form);
  }

  private async loadVoices(): Promise<void> {
    try {
      const { voices } = await this.ctx.api.get<{ voices: Voice[] }>('/tts/voices');
      this.voice.replaceChildren(
        option('', 'default voice'),
        ...voices.map((v) => option(v.name, `${v.name} — ${v.language} (${v.engine})`)),
      );
    } catch (error) {
      say(this.status, `Voices could not be listed: ${describeError(error)}`, 'error');
    }
  }

  private async submitJob(): Promise<void> {
    this.submit.disabled = true;
    say(this.status, 'Submitting…');
    try {
      const answer = await this.ctx.api.json<{ job_id: string; status: string }>('POST', '/jobs', {
        type: 'tts',
        input: {
          text: this.text.value,
          voice: this.voice.value || undefined,
          response_format: this.format.value,
        },
      });
      say(this.status, `Job ${answer.job_id.slice(0, 8)} is ${answer.status}.`, 'ok');
      this.offset = 0;
      await this.refresh();
    } catch (error) {
      say(this.status, `The job was not accepted: ${describeError(error)}`, 'error');
    } finally {
      this.submit.disabled = false;
    }
  }

  /** Polls no faster than once a second, and within a quarter of the plan's request rate. */
  private pollMs(): number {
    const perMinute = Number(this.ctx.me.plan['requests_per_minute']) || 10;
    return Math.max(FASTEST_POLL_MS, 60_000 / (perMinute * POLL_BUDGET));
  }

  private async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(this.offset) });
    if (this.statusFilter.value) query.set('status', this.statusFilter.value);
    if (this.typeFilter.value) query.set('type', this.typeFilter.value);
    let page: JobPage;
    try {
      page = await this.ctx.api.get<JobPage>(`/jobs?${query.toString()}`);
    } catch (error) {
      if (generation === this.generation)
        say(this.status, `Jobs could not be listed: ${describeError(error)}`, 'error');
      // A passing failure (rate limit, network) is retried while a shown job is still live.
      this.schedule(
        generation,
        [...this.rows.values()].some((row) => isActive(row.status)),
      );
      return;
    }
    if (generation !== this.generation || !this.mounted) return;
    this.render(page);
    this.schedule(
      generation,
      page.jobs.some((job) => isActive(job.status)),
    );
  }

  private schedule(generation: number, live: boolean): void {
    if (!live || !this.mounted || generation !== this.generation) return;
    this.timer = window.setTimeout(() => {
      if (document.hidden) this.schedule(generation, true);
      else void this.refresh();
    }, this.pollMs());
  }

  private render(page: JobPage): void {
    const next = new Map<string, JobRow>();
    for (const job of page.jobs) {
      const row =
        this.rows.get(job.job_id) ??
        new JobRow(job, {
          cancel: (j) => this.cancel(j),
          download: (j) => this.download(j),
          ended: (j) => say(this.status, `${j.type.toUpperCase()} job ${j.job_id.slice(0, 8)} ${j.status}.`),
        });
      row.update(job);
      next.set(job.job_id, row);
    }
    const sameOrder =
      next.size === this.rows.size && [...next.keys()].every((id, i) => [...this.rows.keys()][i] === id);
    this.rows = next;
    // Rows are only re-placed when the list changed: moving a row would take focus off its button.
    if (!sameOrder) {
      if (next.size > 0) this.body.replaceChildren(...[...next.values()].map((row) => row.element));
      else
        this.body.replaceChildren(
          h('tr', {}, h('td', { colspan: 7 }, 'No jobs here yet. Submitted jobs show up in this list.')),
        );
    }
    const first = page.total === 0 ? 0 : page.offset + 1;
    this.summary.textContent =
      `Jobs ${first}–${page.offset + page.jobs.length} of ${page.total}.` +
      (page.jobs.some((job) => isActive(job.status)) ? ' Updating while a job is queued or running.' : '');
    this.newer.disabled = page.offset === 0;
    this.older.disabled = page.offset + page.jobs.length >= page.total;
  }

  private async cancel(job: Job): Promise<void> {
    try {
      const changed = await this.ctx.api.json<Job>('POST', `/jobs/${encodeURIComponent(job.job_id)}/cancel`);
      say(this.status, `Job ${job.job_id.slice(0, 8)}: cancel requested (${changed.status}).`, 'ok');
    } catch (error) {
      say(this.status, `The job was not cancelled: ${describeError(error)}`, 'error');
    }
    await this.refresh();
  }

  private async download(job: Job): Promise<void> {
    try {
      const answer = await this.ctx.api.raw(
        'GET',
        `/jobs/${encodeURIComponent(job.job_id)}/result`,
        undefined,
        '*/*',
      );
      saveBlob(`job-${job.job_id}.${job.result?.format ?? 'bin'}`, answer.body);
      say(this.status, `Job ${job.job_id.slice(0, 8)}: result downloaded.`, 'ok');
    } catch (error) {
      say(this.status, `The result could not be downloaded: ${describeError(error)}`, 'error');
    }
  }
}
