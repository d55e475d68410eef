#!/usr/bin/env node
// Renders sample slide puzzles as a person first sees them (the piece at its start, on the
// left) into docs/samples/, so the image can be judged by eye: is the true gap still clear
// among the decoys? Run after a build:  node packages/challenge/scripts/render-samples.mjs [count]
import { mkdirSync, writeFileSync } from 'node:fs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { createInlineRenderer } from '../dist/src/index.js';

const count = Number(process.argv[2] ?? 6);
const out = new URL('../docs/samples/', import.meta.url);
mkdirSync(out, { recursive: true });
const renderer = createInlineRenderer();
const decode = (url) => loadImage(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
for (let i = 0; i < count; i++) {
  const seed = 1000 + i * 7919;
  const p = await renderer.render({ seed, width: 320, height: 160, level: 2, format: 'jpeg', quality: 85 });
  const canvas = createCanvas(p.width, p.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(await decode(p.background), 0, 0);
  ctx.drawImage(await decode(p.piece), 0, p.pieceY);
  writeFileSync(new URL(`puzzle-${seed}.jpg`, out), canvas.encodeSync('jpeg', 85));
  process.stdout.write(`puzzle-${seed}.jpg  answer x = ${p.x}\n`);
}
await renderer.close();
