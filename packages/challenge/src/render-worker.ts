// Worker-thread entry (piscina): renders and encodes one slide puzzle per task.
import { workerData } from 'node:worker_threads';
import { createRenderState } from './render-state.js';
import type { ImageSets } from './contract.js';

const data = workerData as { imageSets?: ImageSets } | undefined;

export default createRenderState(data?.imageSets);
