import { describeError } from './api-client.js';
import type { ConsoleContext, ConsoleView, Me } from './console-context.js';
import { h, seconds, show, table } from './dom.js';
import { AdminAccountsPanel } from './admin-accounts-panel.js';

interface UsageRow {
  created_at: string;
  endpoint: string;
  engine: string | null;
  voice: string | null;
  audio_seconds: number;
  status: string;
  error_code: string | null;
  latency_ms: number;
}

/** The key's quota and latest requests; for admins, users, keys and plan limits too. */
export class UsageView implements ConsoleView {
  readonly id = 'usage';
  readonly title = 'Usage';
  private readonly quotaBox = h('div', { id: 'quota' });
  private readonly recentBox = h('div', { id: 'recent-usage' });
  private admin: AdminAccountsPanel | null = null;

  constructor(private readonly ctx: ConsoleContext) {}

  mount(root: HTMLElement): void {
    this.admin = this.ctx.can('admin') ? new AdminAccountsPanel(this.ctx.api) : null;
    show(
      root,
      h('h2', {}, 'Usage'),
      h(
        'section',
        { 'aria-labelledby': 'quota-title' },
        h('h3', { id: 'quota-title' }, 'Your quota'),
        this.quotaBox,
      ),
      h(
        'section',
        { 'aria-labelledby': 'recent-title' },
        h('h3', { id: 'recent-title' }, 'Recent requests'),
        this.recentBox,
      ),
      this.admin?.element ?? null,
    );
    void this.load();
    void this.admin?.load();
  }

  unmount(): void {}

  private async load(): Promise<void> {
    try {
      const [me, recent] = await Promise.all([
        this.ctx.api.get<Me>('/me'),
        this.ctx.api.get<{ usage: UsageRow[] }>('/me/usage?limit=25'),
      ]);
      const { quota } = me;
      show(
        this.quotaBox,
        h(
          'p',
          {},
          `${seconds(quota.used_seconds)} used of ${seconds(quota.quota_seconds)} — `,
          h('strong', { id: 'quota-remaining' }, `${seconds(quota.remaining_seconds)} left`),
          ` on the ${me.plan.name} plan.`,
        ),
        h('progress', {
          id: 'quota-bar',
          max: quota.quota_seconds || 1,
          value: Math.min(quota.used_seconds, quota.quota_seconds),
          'aria-label': 'Quota used',
        }),
        table(
          ['Limit', 'Value'],
          Object.entries(me.plan)
            .filter(([name]) => name !== 'name')
            .map(([name, value]) => [name.replace(/_/g, ' '), String(value)]),
          'Your plan',
        ),
      );
      show(
        this.recentBox,
        recent.usage.length > 0
          ? table(
              ['When', 'Endpoint', 'Engine', 'Audio', 'Status', 'Latency'],
              recent.usage.map((row) => [
                new Date(row.created_at).toLocaleString(),
                row.endpoint,
                row.engine ?? '—',
                seconds(row.audio_seconds),
                row.error_code ? `${row.status} (${row.error_code})` : row.status,
                `${row.latency_ms} ms`,
              ]),
            )
          : h('p', {}, 'No metered requests yet.'),
      );
    } catch (error) {
      show(this.quotaBox, h('p', { class: 'error', role: 'alert' }, describeError(error)));
    }
  }
}
