/**
 * Renders every node of a plan and writes its files into the staging tree, on this thread and,
 * for a large cluster, on one more thread. Each thread writes the nodes it rendered, so no
 * file's bytes cross threads. Nodes come back in completion order with their index; the output
 * does not depend on that order (every node's files are its own, and the manifest is sorted).
 *
 * The worker starts before the plan exists (startRenderer, from the profile's size), so that it
 * loads the renderers while this thread reads the profile and the state. Its code is the bundled
 * render-worker.js beside this module, or the single-file release's embedded copy
 * (render-worker-script.ts); run from the TypeScript sources (the unit tests) there is none, and
 * every node renders on this thread.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ManifestEntry } from '../emit/manifest.js';
import type { StagingPlace } from '../emit/stage-writer.js';
import { recordStaged, type StagedTree } from '../emit/tree.js';
import type { ClusterPlan } from '../plan/types.js';
import type { OutputFile } from '../render/node.js';
import type { PlatformResult } from '../render/platforms.js';
import { renderWorkerScript } from './render-worker-script.js';

/** A node whose files are written: their names and modes, and the platform's size error if any. */
export interface WrittenNode {
  readonly index: number;
  readonly files: readonly { readonly path: string; readonly mode: number }[];
  readonly error?: string;
}

/** The worker's answer for one node: also the manifest entries of the files it wrote. */
export interface WorkerNode extends WrittenNode {
  readonly entries: readonly ManifestEntry[];
}

export interface RenderRequest {
  readonly from: number;
  readonly to: number;
}

/** Writes one rendered node's files with `write`, and says what it wrote (names and modes only). */
export function writeNode(index: number, { files, error }: PlatformResult, write: (f: OutputFile) => ManifestEntry): WorkerNode {
  const entries = files.map(write);
  const written = files.map(({ path, mode }) => ({ path, mode }));
  return error === undefined ? { index, files: written, entries } : { index, files: written, entries, error };
}

/** The worker's first message: what to render, and where to write it. */
export interface RenderJob {
  readonly plan: ClusterPlan;
  readonly gzip: boolean;
  readonly place: StagingPlace;
}

export interface RendererData {
  readonly port: MessagePort;
  /** Counts the worker's answers, so this thread can block until the next one. */
  readonly signal: Int32Array;
}

type Answer = { done: WorkerNode[] } | { failed: string; code?: string };

/**
 * Below this many nodes the worker saves nothing: it is ready ~0.3 s after the start, and its
 * first hundred nodes render at a third of the speed while its code warms up (~0.3 s of CPU in
 * all). Measured on 2 cores, 1,000 workers, 9 alternating runs: 0.87 s without it, 0.85 s with
 * it and 50 MB more peak RSS. A profile takes about 120 bytes per node, so one under
 * WORKER_MIN_BYTES starts none.
 */
export const WORKER_MIN_NODES = 2000;
export const WORKER_MIN_BYTES = WORKER_MIN_NODES * 120;
/** Nodes per request: enough to make messages cheap, few enough that both threads end together. */
const CHUNK = 16;
/** Requests outstanding, so the worker never waits for this thread to hand out the next range. */
const IN_FLIGHT = 2;

export interface Renderer {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly signal: Int32Array;
  crashed: Error | undefined;
}

/** Starts the worker for a profile of `profileBytes`, when that is large enough and there is a core for it. */
export function startRenderer(profileBytes: number): Renderer | undefined {
  if (profileBytes < WORKER_MIN_BYTES || availableParallelism() < 2) return undefined;
  const code = renderWorkerScript();
  if (!code) return undefined;
  const { port1: port, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(code.script, {
    eval: code.eval,
    // A young generation of 8 MB instead of the default's: the same speed (npm run bench) and
    // ~20 MB less peak RSS at 5,000 workers.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
    workerData: { port: port2, signal } satisfies RendererData,
    transferList: [port2],
  });
  // It never keeps the process alive by itself: renderNodes or stopRenderer ends it.
  worker.unref();
  const renderer: Renderer = { worker, port, signal, crashed: undefined };
  worker.on('error', (e) => { renderer.crashed ??= e; });
  worker.on('exit', () => { renderer.crashed ??= new Error('the render worker stopped'); });
  return renderer;
}

export async function stopRenderer(renderer: Renderer | undefined): Promise<void> {
  if (!renderer) return;
  renderer.port.close();
  await renderer.worker.terminate();
}

/**
 * Renders every node and writes its files into `tree`, with `renderer`'s help when there is one
 * and the cluster is large.
 */
export async function* renderNodes(plan: ClusterPlan, gzip: boolean, tree: StagedTree, renderer?: Renderer): AsyncGenerator<WrittenNode> {
  const { renderForPlatform } = await import('../render/node.js');
  const count = plan.nodes.length;
  let next = 0;
  const here = (): WrittenNode => {
    const index = next++;
    const { entries, ...node } = writeNode(index, renderForPlatform(plan, plan.nodes[index]!, gzip), (f) => tree.writer.write(f));
    recordStaged(tree, ...entries);
    return node;
  };
  if (!renderer || count < WORKER_MIN_NODES) {
    await stopRenderer(renderer);
    while (next < count) yield here();
    return;
  }

  const { port, signal } = renderer;
  port.postMessage({ plan, gzip, place: tree.place } satisfies RenderJob);
  let inFlight = 0;
  try {
    for (;;) {
      while (inFlight < IN_FLIGHT && next < count) {
        const to = Math.min(count, next + CHUNK);
        port.postMessage({ from: next, to } satisfies RenderRequest);
        next = to;
        inFlight++;
      }
      const answered = Atomics.load(signal, 0);
      const m = receiveMessageOnPort(port);
      if (m) {
        inFlight--;
        const answer = m.message as Answer;
        if ('failed' in answer) throw Object.assign(new Error(answer.failed), answer.code ? { code: answer.code } : {});
        for (const { entries, ...node } of answer.done) {
          recordStaged(tree, ...entries);
          yield node;
        }
        continue;
      }
      if (next < count) {
        yield here();
        continue;
      }
      if (inFlight === 0) return;
      if (renderer.crashed) throw renderer.crashed;
      // Nothing left to render here: wait for the worker, letting the event loop run now and
      // then so a crashed worker is noticed.
      if (Atomics.wait(signal, 0, answered, 1000) === 'timed-out') await new Promise((res) => setImmediate(res));
    }
  } finally {
    await stopRenderer(renderer);
  }
}
