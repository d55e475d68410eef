import { createChallengeEngine, createMemoryStore, createInlineRenderer } from './dist/src/index.js';
const inline = createInlineRenderer();
const puzzle = await inline.render({ width: 320, height: 160, level: 2, format: 'jpeg', quality: 80, seed: 1 });
const renderer = { threads: 1, render: (t) => new Promise((r) => setImmediate(() => r({ ...puzzle, seed: t.seed }))), queueSize: () => 0, close: async () => {} };
const engine = createChallengeEngine({ store: createMemoryStore(), secrets: ['0123456789abcdef0123'], renderer, pool: { minDepth: 512, maxDepth: 1024, maxTotal: 2048, maxInFlight: 64 } });
const site = { sitekey: 'b', challengeTypes: ['slide'], difficulty: 0 };
engine.prewarm(site);
await new Promise(r => setTimeout(r, 500));
console.log('depth', engine.stats().pool.depth);
const lat = [];
for (let round = 0; round < 20; round++) {
  for (let i = 0; i < 200; i++) { const t0 = process.hrtime.bigint(); await engine.issue({ site }); lat.push(Number(process.hrtime.bigint() - t0) / 1000); }
  await new Promise(r => setTimeout(r, 50));
}
lat.sort((a, b) => a - b);
console.log('p50', lat[lat.length >> 1].toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(1), 'p999', lat[Math.floor(lat.length * 0.999)].toFixed(1), JSON.stringify(engine.stats().pool.hits));
await engine.close();
