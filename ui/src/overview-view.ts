import { describeError } from './api-client.js';
import type { ConsoleContext, ConsoleView } from './console-context.js';
import { h, say, show, statusLine, table } from './dom.js';

const FASTEST_POLL_MS = 5000;
/** Share of the plan's requests per minute the live view may spend on polling. */
const POLL_BUDGET = 0.25;

interface CheckResult {
  status: string;
  latency_ms: number;
  detail?: string;
}
interface EngineStatus {
  id: string;
  type: string;
  kind: string | null;
  available: boolean;
  reason: string | null;
  install_hint?: string | null;
}
interface Health {
  status: string;
  version: string;
  architecture: { routers: Record<string, boolean> };
  checks: Record<string, CheckResult>;
  engines: Record<string, EngineStatus[]>;
  uptime_seconds: number;
}
interface Breaker {
  name: string;
  kind: string;
  state: string;
}
interface ValidationReport {
  valid: boolean;
  errors: string[];
  source: string;
  last_attempt_at: string;
}
type ConfigDocument = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A merge patch setting one key: ['routers','core','tts','enabled'], true → {routers:{core:{tts:{enabled:true}}}}. */
function patchFor(path: string[], value: boolean): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** The switches an operator flips here: every feature flag and every router's `enabled`. */
function switchesOf(live: ConfigDocument): Array<{ path: string[]; value: boolean }> {
  const found: Array<{ path: string[]; value: boolean }> = [];
  const features = live['features'];
  if (isRecord(features)) {
    for (const [name, value] of Object.entries(features))
      if (typeof value === 'boolean') found.push({ path: ['features', name], value });
  }
  const routers = live['routers'];
  if (isRecord(routers)) {
    for (const [group, members] of Object.entries(routers)) {
      if (!isRecord(members)) continue;
      for (const [name, settings] of Object.entries(members)) {
        if (isRecord(settings) && typeof settings['enabled'] === 'boolean')
          found.push({ path: ['routers', group, name, 'enabled'], value: settings['enabled'] });
      }
    }
  }
  return found;
}

/** Health, engines, circuit breakers and (admin) the live switches, refreshed every few seconds. */
export class OverviewView implements ConsoleView {
  readonly id = 'overview';
  readonly title = 'Overview';
  private timer = 0;
  private readonly healthBox = h('div', { id: 'health' });
  private readonly enginesBox = h('div', { id: 'engines' });
  private readonly breakersBox = h('div', { id: 'breakers' });
  private readonly switchesBox = h('div', { id: 'switches', class: 'switches' });
  private readonly validationBox = h('div', { id: 'config-validation' });
  private readonly status = statusLine('overview-status');
  private readonly switchInputs = new Map<string, HTMLInputElement>();
  private breakerRows = new Map<string, HTMLElement>();

  constructor(private readonly ctx: ConsoleContext) {}

  mount(root: HTMLElement): void {
    show(
      root,
      h('h2', {}, 'Overview'),
      this.status,
      h(
        'section',
        { 'aria-labelledby': 'health-title' },
        h('h3', { id: 'health-title' }, 'Health'),
        this.healthBox,
      ),
      h(
        'section',
        { 'aria-labelledby': 'engines-title' },
        h('h3', { id: 'engines-title' }, 'Engines'),
        this.enginesBox,
      ),
      this.ctx.can('ops')
        ? h(
            'section',
            { 'aria-labelledby': 'breakers-title' },
            h('h3', { id: 'breakers-title' }, 'Circuit breakers'),
            this.breakersBox,
          )
        : null,
      this.ctx.can('admin')
        ? h(
            'section',
            { 'aria-labelledby': 'switches-title' },
            h('h3', { id: 'switches-title' }, 'Feature flags and routers'),
            h(
              'p',
              { class: 'hint' },
              'Each switch changes config.yaml through PATCH /config and applies at once.',
            ),
            this.switchesBox,
            this.validationBox,
          )
        : null,
    );
    void this.refresh();
    this.timer = window.setInterval(() => {
      if (!document.hidden) void this.refresh();
    }, this.pollMs());
  }

  unmount(): void {
    clearInterval(this.timer);
  }

  /** /health is public (not counted); breakers, config and validation count against the plan's limit. */
  private pollMs(): number {
    const counted = (this.ctx.can('ops') ? 1 : 0) + (this.ctx.can('admin') ? 2 : 0);
    const perMinute = Number(this.ctx.me.plan['requests_per_minute']) || 10;
    return Math.max(FASTEST_POLL_MS, (60_000 * counted) / (perMinute * POLL_BUDGET));
  }

  private async refresh(): Promise<void> {
    const jobs: Array<Promise<void>> = [this.loadHealth()];
    if (this.ctx.can('ops')) jobs.push(this.loadBreakers());
    if (this.ctx.can('admin')) jobs.push(this.loadConfig(), this.loadValidation());
    await Promise.all(jobs);
  }

  private async loadHealth(): Promise<void> {
    try {
      const health = await this.ctx.api.get<Health>('/health');
      show(
        this.healthBox,
        h(
          'p',
          {},
          'Status: ',
          h('strong', { class: `state state-${health.status}`, id: 'health-status' }, health.status),
          ` · version ${health.version} · up ${health.uptime_seconds} s`,
        ),
        table(
          ['Check', 'Status', 'Latency', 'Detail'],
          Object.entries(health.checks).map(([name, check]) => [
            name,
            h('span', { class: `state state-${check.status}` }, check.status),
            `${check.latency_ms} ms`,
            check.detail ?? '',
          ]),
          'Checks',
        ),
      );
      const engines = Object.entries(health.engines).flatMap(([section, list]) =>
        list.map((engine) => [
          section,
          engine.id,
          engine.type,
          h(
            'span',
            { class: `state state-${engine.available ? 'up' : 'down'}` },
            engine.available ? 'available' : 'unavailable',
          ),
          engine.reason ?? '',
          engine.install_hint ?? '',
        ]),
      );
      show(
        this.enginesBox,
        engines.length > 0
          ? table(
              ['Kind', 'Engine', 'Type', 'State', 'Reason', 'Install hint'],
              engines,
              'Configured engines',
            )
          : h('p', {}, 'No engines are configured.'),
      );
    } catch (error) {
      say(this.status, `Health could not be read: ${describeError(error)}`, 'error');
    }
  }

  private async loadBreakers(): Promise<void> {
    try {
      const { breakers } = await this.ctx.api.get<{ breakers: Breaker[] }>('/circuit-breakers/status');
      const names = breakers.map((b) => `${b.kind}/${b.name}`).join('|');
      if (names !== [...this.breakerRows.keys()].join('|')) {
        this.breakerRows = new Map();
        const rows = breakers.map((breaker) => {
          const state = h('span', { class: `state breaker-${breaker.state}` }, breaker.state);
          this.breakerRows.set(`${breaker.kind}/${breaker.name}`, state);
          const reset = h(
            'button',
            { type: 'button', 'aria-label': `Reset the ${breaker.name} breaker` },
            'Reset',
          );
          reset.addEventListener('click', () => void this.resetBreaker(breaker.name));
          return [breaker.kind, breaker.name, state, reset];
        });
        show(
          this.breakersBox,
          rows.length > 0
            ? table(['Kind', 'Engine', 'State', ''], rows, 'Breakers')
            : h('p', {}, 'No breakers yet.'),
        );
      } else {
        for (const breaker of breakers) {
          const state = this.breakerRows.get(`${breaker.kind}/${breaker.name}`);
          if (state && state.textContent !== breaker.state) {
            state.textContent = breaker.state;
            state.className = `state breaker-${breaker.state}`;
          }
        }
      }
    } catch (error) {
      show(this.breakersBox, h('p', { class: 'error' }, describeError(error)));
    }
  }

  private async resetBreaker(name: string): Promise<void> {
    try {
      await this.ctx.api.json('POST', `/circuit-breakers/${encodeURIComponent(name)}/reset`);
      say(this.status, `The ${name} breaker was reset.`, 'ok');
      await this.loadBreakers();
    } catch (error) {
      say(this.status, `Reset failed: ${describeError(error)}`, 'error');
    }
  }

  private async loadConfig(): Promise<void> {
    try {
      const live = await this.ctx.api.get<ConfigDocument>('/config');
      for (const { path, value } of switchesOf(live)) {
        const key = path.join('.');
        let input = this.switchInputs.get(key);
        if (!input) {
          input = this.addSwitch(path);
          this.switchInputs.set(key, input);
        }
        // A switch being flipped keeps what the operator chose until PATCH answers.
        if (!input.disabled) input.checked = value;
      }
    } catch (error) {
      show(
        this.switchesBox,
        h('p', { class: 'error' }, `The config could not be read: ${describeError(error)}`),
      );
      this.switchInputs.clear();
    }
  }

  private addSwitch(path: string[]): HTMLInputElement {
    const name = path.join('.').replace(/\.enabled$/, '');
    const id = `switch-${path.join('-')}`;
    const input = h('input', { type: 'checkbox', role: 'switch', id, 'data-path': path.join('.') });
    input.addEventListener('change', () => void this.flip(path, input));
    this.switchesBox.append(h('div', { class: 'switch' }, input, h('label', { for: id }, name)));
    return input;
  }

  private async flip(path: string[], input: HTMLInputElement): Promise<void> {
    const wanted = input.checked;
    input.disabled = true;
    try {
      await this.ctx.api.json('PATCH', '/config', patchFor(path, wanted));
      say(this.status, `${path.join('.')} is now ${wanted ? 'on' : 'off'}.`, 'ok');
    } catch (error) {
      input.checked = !wanted;
      say(this.status, `${path.join('.')} was not changed: ${describeError(error)}`, 'error');
    } finally {
      input.disabled = false;
      await this.loadValidation();
    }
  }

  private async loadValidation(): Promise<void> {
    try {
      const report = await this.ctx.api.get<ValidationReport>('/config/validation');
      show(
        this.validationBox,
        h(
          'p',
          {},
          'Last config change: ',
          h(
            'strong',
            { class: `state state-${report.valid ? 'up' : 'down'}` },
            report.valid ? 'valid and applied' : 'refused',
          ),
          ` (${report.source}, ${new Date(report.last_attempt_at).toLocaleString()})`,
        ),
        report.errors.length > 0
          ? h('ul', { class: 'errors' }, ...report.errors.map((e) => h('li', {}, e)))
          : null,
      );
    } catch (error) {
      show(
        this.validationBox,
        h('p', { class: 'hint' }, `Validation report unavailable: ${describeError(error)}`),
      );
    }
  }
}
