/**
 * docs/metrics.md and the Grafana dashboard against the registry: every exported metric is
 * documented with its labels, nothing documented is missing from the registry, and every dashboard
 * query names only exported metrics and labels and parses as PromQL by Prometheus's own promtool
 * (`check rules`). Fails, not skips, without promtool (Debian's prometheus package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EventBus } from '../src/events/event-bus.ts';
import { createSiteMetrics } from '../src/metrics/site-metrics.ts';

const PROMTOOL = '/usr/bin/promtool';

async function registryMetrics(): Promise<Map<string, { type: string; labels: string[] }>> {
  const metrics = createSiteMetrics({ events: new EventBus(), lines: () => Promise.resolve([]), alarms: { list: () => Promise.resolve([]), acknowledge: () => Promise.reject(new Error('no')) } });
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames;
    out.set(m.name, { type: String(m.type), labels: labels.filter((l) => l !== 'le') });
  }
  metrics.close();
  return out;
}

/** The dashboard's PromQL expressions, its template variables replaced as Grafana would. */
async function dashboardQueries(): Promise<string[]> {
  const dash = JSON.parse(await readFile('docs/grafana/cardline.json', 'utf8')) as { panels: { targets: { expr: string }[] }[]; templating: { list: { query: { query: string } }[] } };
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  return exprs.map((e) => e.replaceAll('$line', '.*').replaceAll('$__range', '1h'));
}

describe('the metrics documentation', () => {
  it('lists every metric of the registry with its type and labels, and no other', async () => {
    const doc = await readFile('docs/metrics.md', 'utf8');
    const registry = await registryMetrics();
    const rows = new Map([...doc.matchAll(/^\| `(cardline_\w+)` \| (\w+) \| ([^|]*) \|/gm)].map((m) => [m[1]!, { type: m[2]!, labels: [...m[3]!.matchAll(/`(\w+)`/g)].map((x) => x[1]!) }]));
    expect([...rows.keys()].sort()).toEqual([...registry.keys()].sort());
    for (const [name, m] of registry) expect({ name, ...rows.get(name) }).toEqual({ name, type: m.type, labels: m.labels });
    for (const name of registry.keys()) if (registry.get(name)!.type === 'counter') expect(name).toMatch(/_total$/);
  });

  it('the Grafana dashboard queries only exported metrics and labels, and promtool parses every query', async () => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: install Debian's prometheus package (.ci/run does)`);
    const registry = await registryMetrics();
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const q of queries) {
      for (const [, name] of q.matchAll(/\b(cardline_\w+)/g)) {
        const base = name!.replace(/_(bucket|sum|count)$/, '');
        expect(registry.has(name!) || registry.get(base)?.type === 'histogram', `${name} in ${q}`).toBe(true);
      }
      for (const [, name, selector] of q.matchAll(/(cardline_\w+)\{([^}]*)\}/g)) {
        const metric = name!.replace(/_bucket$/, '');
        for (const [, label] of selector!.matchAll(/(\w+)\s*=~?/g)) expect(registry.get(metric)?.labels, `${label} of ${metric} in ${q}`).toContain(label);
      }
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-rules-'));
    try {
      const file = path.join(dir, 'rules.yml');
      await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules: queries.map((expr, i) => ({ record: `cardline:dashboard_${i}`, expr })) }] }));
      const check = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
      expect({ status: check.status, out: check.stdout + check.stderr }).toMatchObject({ status: 0 });
      expect(check.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
