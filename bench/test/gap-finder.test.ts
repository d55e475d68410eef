/**
 * The attack bench's gap finders on puzzles rendered by the engine's own renderer (its default
 * size, format and quality): the continuity finder must find what the challenge package's
 * measurement says the strongest image attack finds, or the bench would understate the bots.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInlineRenderer } from '@hurdle/challenge';
import type { RenderedPuzzle } from '@hurdle/challenge';
import { findGap } from '../src/attack/gap-finder.js';
import type { GapFinder } from '../src/attack/gap-finder.js';
import { decodeDataUrl } from '../src/attack/image-decode.js';

const TOLERANCE_PX = 6;
const SEEDS = 40;

async function renderSeeds(): Promise<RenderedPuzzle[]> {
  const renderer = createInlineRenderer();
  try {
    const out: RenderedPuzzle[] = [];
    for (let i = 0; i < SEEDS; i++) out.push(await renderer.render({ seed: 0x6a9_0000 + i * 104_729, width: 320, height: 160, level: 2, format: 'webp', quality: 80 }));
    return out;
  } finally {
    await renderer.close();
  }
}

function top1(puzzles: readonly RenderedPuzzle[], finder: GapFinder): number {
  let hits = 0;
  for (const p of puzzles) {
    const found = findGap(finder, { background: decodeDataUrl(p.background), piece: decodeDataUrl(p.piece), pieceY: p.pieceY }, 5);
    if (found.xs.length > 0 && Math.abs((found.xs[0] as number) - p.x) <= TOLERANCE_PX) hits++;
  }
  return hits / puzzles.length;
}

describe('attack bench gap finders', () => {
  it('the continuity finder finds most gaps; the pixel and outline matchers do not', async () => {
    const puzzles = await renderSeeds();
    const continuity = top1(puzzles, 'continuity');
    const edge = top1(puzzles, 'edge');
    const ncc = top1(puzzles, 'ncc');
    assert.ok(continuity >= 0.5, `continuity top-1 ${continuity}`);
    assert.ok(continuity > edge && continuity > ncc, `continuity ${continuity} vs edge ${edge}, ncc ${ncc}`);
  });

  it('ranks distinct candidates, best first', async () => {
    const [p] = await renderSeeds();
    const found = findGap('continuity', { background: decodeDataUrl((p as RenderedPuzzle).background), piece: decodeDataUrl((p as RenderedPuzzle).piece), pieceY: (p as RenderedPuzzle).pieceY }, 5);
    assert.equal(found.xs.length, 5);
    for (let i = 1; i < found.scores.length; i++) assert.ok((found.scores[i] as number) <= (found.scores[i - 1] as number));
    for (let i = 0; i < found.xs.length; i++) for (let j = i + 1; j < found.xs.length; j++) assert.ok(Math.abs((found.xs[i] as number) - (found.xs[j] as number)) >= 12);
  });
});
