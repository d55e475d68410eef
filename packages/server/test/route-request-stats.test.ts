import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { WorkerMetrics } from '../src/metrics.js';

test('request counters and latency buckets read as prom-client metrics, one worker and merged', async () => {
  const a = new WorkerMetrics();
  const b = new WorkerMetrics();
  const challenge = a.requests.slot('/v1/challenge');
  a.requests.record(challenge, 200, 0.0004);
  a.requests.record(challenge, 200, 0.001); // on a bound: counted in that bucket (le is inclusive)
  a.requests.record(challenge, 503, 7); // above the highest bound: only +Inf
  b.requests.record(b.requests.slot('/v1/challenge'), 200, 0.02);
  b.requests.record(b.requests.slot('preflight'), 204, 0.0001);

  const text = await a.registry.metrics();
  assert.match(text, /^# TYPE hurdle_http_requests_total counter$/m);
  assert.match(text, /^hurdle_http_requests_total\{route="\/v1\/challenge",status="200"\} 2$/m);
  assert.match(text, /^hurdle_http_requests_total\{route="\/v1\/challenge",status="503"\} 1$/m);
  assert.match(text, /^# TYPE hurdle_http_request_duration_seconds histogram$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_bucket\{le="0.0005",route="\/v1\/challenge"\} 1$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_bucket\{le="0.001",route="\/v1\/challenge"\} 2$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_bucket\{le="5",route="\/v1\/challenge"\} 2$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/challenge"\} 3$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_count\{route="\/v1\/challenge"\} 3$/m);
  assert.match(text, /^hurdle_http_request_duration_seconds_sum\{route="\/v1\/challenge"\} 7.0014/m);

  // The primary merges the workers' JSON: counts add up per label set.
  const merged = await client.AggregatorRegistry.aggregate([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]).metrics();
  assert.match(merged, /^hurdle_http_requests_total\{route="\/v1\/challenge",status="200"\} 3$/m);
  assert.match(merged, /^hurdle_http_requests_total\{route="preflight",status="204"\} 1$/m);
  assert.match(merged, /^hurdle_http_request_duration_seconds_bucket\{le="0.025",route="\/v1\/challenge"\} 3$/m);
  assert.match(merged, /^hurdle_http_request_duration_seconds_count\{route="\/v1\/challenge"\} 4$/m);
});
