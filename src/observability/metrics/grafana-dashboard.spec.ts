import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { GatewayMetrics } from './gateway-metrics.js';

/** deploy/ from dist/src/observability/metrics/. */
const DASHBOARD = new URL('../../../../deploy/grafana/speech-gateway-dashboard.json', import.meta.url);

interface Dashboard {
  title: string;
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

describe('the shipped Grafana dashboard', () => {
  it('is a dashboard whose every query reads series the gateway exports', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    assert.equal(dashboard.title, 'speech-gateway');
    assert.ok(dashboard.panels.length >= 10);
    const exported = new Set(
      (await new GatewayMetrics().registry.getMetricsAsJSON()).flatMap((metric) =>
        String(metric.type) === 'histogram'
          ? [`${metric.name}_bucket`, `${metric.name}_count`, `${metric.name}_sum`]
          : [metric.name],
      ),
    );
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, panel.title);
      for (const { expr } of panel.targets) {
        for (const name of expr.match(/\b(speech_gateway|process|nodejs)_[a-z0-9_]+/g) ?? []) used.add(name);
      }
    }
    for (const name of used) assert.ok(exported.has(name), `${name} is not exported`);
    // Every gateway family appears on the dashboard.
    for (const name of exported) {
      if (!name.startsWith('speech_gateway_') || name.endsWith('_sum')) continue;
      const family = name.replace(/_(bucket|count)$/, '');
      assert.ok(
        [...used].some((u) => u.startsWith(family)),
        `${family} has no panel`,
      );
    }
  });
});
