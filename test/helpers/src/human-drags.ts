/**
 * The recorded human mouse drags in `fixtures/human-drags/train.json` (52 recordings by
 * people; sources and licences in that folder's README): the floor every behavioural check
 * must keep passing.
 */
import { readFileSync } from 'node:fs';

/** One recording: samples `[x, y, tMs]` in CSS px relative to the press, tMs since it. */
export interface HumanDrag {
  readonly source: string;
  readonly input: string;
  readonly kind: 'drag' | 'slide' | 'movement';
  readonly samples: readonly (readonly [number, number, number])[];
}

/** Path of the recordings file (for tools that take a file). */
export const HUMAN_DRAGS_FILE = new URL('../../fixtures/human-drags/train.json', import.meta.url).pathname;

export function loadHumanDrags(): HumanDrag[] {
  return JSON.parse(readFileSync(HUMAN_DRAGS_FILE, 'utf8')) as HumanDrag[];
}
