/**
 * The second rendering thread of a large compile (see node-renderer.ts). It loads the renderers
 * while the main thread reads the profile and the state, receives the plan and the staging place
 * once, then ranges of node indexes; it renders and writes those nodes and answers with their
 * manifest entries. Rendering is pure, so a node renders to the same bytes here as on the main
 * thread.
 */
import { workerData } from 'node:worker_threads';
import { StageWriter } from '../emit/stage-writer.js';
import { renderForPlatform } from '../render/node.js';
import { writeNode, type RendererData, type RenderJob, type RenderRequest, type WorkerNode } from './node-renderer.js';

const { port, signal } = workerData as RendererData;
let job: (RenderJob & { writer: StageWriter }) | undefined;

port.on('message', (m: RenderJob | RenderRequest) => {
  if ('plan' in m) {
    job = { ...m, writer: new StageWriter(m.place) };
    return;
  }
  const done: WorkerNode[] = [];
  try {
    if (!job) throw new Error('render worker: a range came before the plan');
    const { plan, gzip, writer } = job;
    for (let index = m.from; index < m.to; index++) done.push(writeNode(index, renderForPlatform(plan, plan.nodes[index]!, gzip), (f) => writer.write(f)));
    port.postMessage({ done });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    port.postMessage(code === undefined ? { failed: (e as Error).message } : { failed: (e as Error).message, code });
  }
  // The main thread may be blocked in Atomics.wait rather than in its event loop.
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
