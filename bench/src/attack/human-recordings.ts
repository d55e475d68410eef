import { readFileSync } from 'node:fs';
import { widgetRecord } from './trace-generators.js';
import type { Sample } from './trace-generators.js';
import type { WidgetGeometry } from './widget-geometry.js';

/** One recorded human mouse movement: samples `[x, y, tMs]` in CSS px relative to the press. */
export interface HumanRecording {
  readonly source: string;
  readonly kind: string;
  readonly samples: readonly (readonly [number, number, number])[];
}

/** Reads a recordings file (the format of `shared/human-drags/train.json`). */
export function loadRecordings(file: string): HumanRecording[] {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: expected an array of recordings`);
  return data.filter((r): r is HumanRecording => typeof r === 'object' && r !== null && Array.isArray((r as HumanRecording).samples) && (r as HumanRecording).samples.length >= 2);
}

/**
 * Maps a recording onto a puzzle whose answer is `targetX` by scaling x (x' = x * targetX /
 * final x, so the final sample lands on the answer; the widget clamps the piece to
 * [0, maxX] as it would), keeping y as recorded (CSS px, converted to background px) around
 * the handle's centre and the timing as recorded, then records it as the widget does.
 */
export function mapRecording(rec: HumanRecording, targetX: number, geometry: WidgetGeometry): Sample[] {
  const first = rec.samples[0] as readonly [number, number, number];
  const last = rec.samples[rec.samples.length - 1] as readonly [number, number, number];
  const travel = last[0] - first[0];
  const k = travel !== 0 ? targetX / travel : 0;
  const raw: Sample[] = rec.samples.map(([x, y, t]) => [
    Math.min(geometry.maxX, Math.max(0, (x - first[0]) * k)),
    geometry.handleY + (y - first[1]) / geometry.scale,
    t - first[2],
  ]);
  return widgetRecord(raw);
}
