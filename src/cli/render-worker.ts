/**
 * The second rendering thread of a large compile (see node-renderer.ts). It loads the renderers
 * while the main thread reads the profile and the state, receives the plan once, then ranges of
 * node indexes, and answers each range with those nodes' files. Rendering is pure, so a node
 * renders to the same bytes here as on the main thread.
 */
import { workerData } from 'node:worker_threads';
import type { ClusterPlan } from '../plan/types.js';
import { renderForPlatform } from '../render/node.js';
import type { Platform } from '../render/platforms.js';
import type { RenderedNode, RendererData, RenderJob, RenderRequest } from './node-renderer.js';

const { port, signal } = workerData as RendererData;
let job: { plan: ClusterPlan; platform: Platform; gzip: boolean } | undefined;

port.on('message', (m: RenderJob | RenderRequest) => {
  if ('plan' in m) {
    job = m;
    return;
  }
  const done: RenderedNode[] = [];
  try {
    if (!job) throw new Error('render worker: a range came before the plan');
    for (let index = m.from; index < m.to; index++) done.push({ index, ...renderForPlatform(job.plan, job.plan.nodes[index]!, job.platform, job.gzip) });
    port.postMessage({ done });
  } catch (e) {
    port.postMessage({ failed: (e as Error).message });
  }
  // The main thread may be blocked in Atomics.wait rather than in its event loop.
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
