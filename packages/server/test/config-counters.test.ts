// The config mirror's and DB's running totals reach /metrics as counters that never go back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrimaryMetrics } from '../src/metrics.js';

async function values(m: PrimaryMetrics): Promise<{ errors: number; queries: number; types: string[] }> {
  const json = await m.registry.getMetricsAsJSON();
  const value = (name: string): number => (json.find((x) => x.name === name) as { values: { value: number }[] } | undefined)?.values[0]?.value ?? NaN;
  const types = json.filter((x) => x.name === 'hurdle_config_refresh_errors_total' || x.name === 'hurdle_config_db_queries_total').map((x) => String(x.type));
  return { errors: value('hurdle_config_refresh_errors_total'), queries: value('hurdle_config_db_queries_total'), types };
}

describe('config counters', () => {
  it('advance by the growth of the totals, and count a total that went down (a new count) in full', async () => {
    const m = new PrimaryMetrics();
    assert.deepEqual(await values(m), { errors: 0, queries: 0, types: ['counter', 'counter'] });
    m.syncConfigTotals({ refreshErrors: 2, dbQueries: 10 });
    assert.deepEqual(await values(m), { errors: 2, queries: 10, types: ['counter', 'counter'] });
    m.syncConfigTotals({ refreshErrors: 2, dbQueries: 15 });
    assert.deepEqual(await values(m), { errors: 2, queries: 15, types: ['counter', 'counter'] });
    m.syncConfigTotals({ refreshErrors: 3, dbQueries: 4 });
    assert.deepEqual(await values(m), { errors: 3, queries: 19, types: ['counter', 'counter'] });
  });
});
