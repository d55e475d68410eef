import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerMetrics, dashboardFrom } from '../src/metrics.js';

test('dashboard p99 covers the recent window, not the slow cold start', async () => {
  const metrics = new WorkerMetrics();
  const route = metrics.requests.slot('/v1/challenge');
  // A cold start: ten slow on-demand renders.
  for (let i = 0; i < 10; i++) metrics.requests.record(route, 200, 2);
  const first = dashboardFrom(await metrics.registry.getMetricsAsJSON(), undefined, 1_000);
  assert.equal(first.p99LatencyMs, 2500, 'without a baseline the p99 is over everything so far');

  // Then a thousand fast requests from warm pools.
  for (let i = 0; i < 1000; i++) metrics.requests.record(route, 200, 0.0004);
  const second = dashboardFrom(await metrics.registry.getMetricsAsJSON(), first, 3_000);
  assert.equal(second.p99LatencyMs, 0.5, 'the window holds only the fast requests');

  // A window with no requests at all falls back to the totals rather than reading 0.
  const third = dashboardFrom(await metrics.registry.getMetricsAsJSON(), second, 5_000);
  assert.ok(third.p99LatencyMs > 0);
});
