// Slot counters and histograms read exactly as prom-client's metrics do: text and aggregation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { SlotCounter, SlotHistogram } from '../src/slot-metrics.js';

const BUCKETS = [0.05, 0.1, 0.5, 1];

function pair(): { prom: client.Registry; slots: client.Registry; promCounter: client.Counter<'result' | 'reason'>; slotCounter: SlotCounter<'result' | 'reason'>; promHist: client.Histogram<'phase'>; slotHist: SlotHistogram<'phase'> } {
  const prom = new client.Registry();
  const slots = new client.Registry();
  const c = { name: 'test_outcomes_total', help: 'outcomes', labelNames: ['result', 'reason'] as const };
  const h = { name: 'test_score', help: 'scores', labelNames: ['phase'] as const, buckets: BUCKETS };
  return {
    prom,
    slots,
    promCounter: new client.Counter({ ...c, labelNames: [...c.labelNames], registers: [prom] }),
    slotCounter: new SlotCounter({ ...c, registers: [slots] }),
    promHist: new client.Histogram({ ...h, labelNames: [...h.labelNames], buckets: [...BUCKETS], registers: [prom] }),
    slotHist: new SlotHistogram({ ...h, registers: [slots] }),
  };
}

function feed(p: ReturnType<typeof pair>, seed: number): void {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const results = ['pass', 'fail'] as const;
  const reasons = ['ok', 'expired', 'wrong_site'] as const;
  for (let i = 0; i < 500; i++) {
    const labels = { result: results[Math.floor(next() * 2)]!, reason: reasons[Math.floor(next() * 3)]! };
    p.promCounter.inc(labels);
    p.slotCounter.inc(labels);
    // Values on the bounds too: a value equal to a bound counts in that bound's bucket.
    const v = i % 7 === 0 ? BUCKETS[i % BUCKETS.length]! : Math.round(next() * 1200) / 1000;
    const phase = { phase: i % 3 === 0 ? 'issue' : 'verify' };
    p.promHist.observe(phase, v);
    p.slotHist.observe(phase, v);
  }
  p.promCounter.inc({ result: 'pass', reason: 'ok' }, 5);
  p.slotCounter.inc({ result: 'pass', reason: 'ok' }, 5);
}

/** prom-client's text, its lines sorted (series order within a metric may differ). */
async function lines(r: { metrics(): Promise<string> }): Promise<string[]> {
  return (await r.metrics()).split('\n').filter((l) => l !== '').sort();
}

describe('slot metrics', () => {
  it('write the same Prometheus text as prom-client after the same calls', async () => {
    const p = pair();
    feed(p, 11);
    const expected = await lines(p.prom);
    assert.ok(expected.some((l) => l.startsWith('test_score_bucket{le="0.05",phase="issue"}')), 'the comparison covers histogram buckets');
    assert.deepEqual(await lines(p.slots), expected);
  });

  it('aggregate across workers as prom-client metrics do', async () => {
    const a = pair();
    const b = pair();
    feed(a, 3);
    feed(b, 5);
    const promAgg = client.AggregatorRegistry.aggregate([await a.prom.getMetricsAsJSON(), await b.prom.getMetricsAsJSON()]);
    const slotAgg = client.AggregatorRegistry.aggregate([await a.slots.getMetricsAsJSON(), await b.slots.getMetricsAsJSON()]);
    assert.deepEqual(await lines(slotAgg), await lines(promAgg));
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const p = pair();
    assert.throws(() => p.slotHist.observe({ phase: 'issue' }, Number.NaN), TypeError);
    assert.throws(() => p.promHist.observe({ phase: 'issue' }, Number.NaN), TypeError);
  });
});
