/** Renders every node of a plan into a temporary directory, for real-tool checks. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClusterPlan } from '../../src/plan/types.js';
import { nodeFiles, renderNodeOutputs } from '../../src/render/node.js';
import { run } from './tools.js';

export function writeOutputs(plan: ClusterPlan): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-out-'));
  for (const node of plan.nodes) {
    for (const f of renderNodeOutputs(plan, node)) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
  }
  return dir;
}

/** Writes every node file into <dir>/<node>/<path>, so scripts can be checked by tools. */
export function writeNodeFiles(plan: ClusterPlan): { dir: string; scripts: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-files-'));
  const scripts: string[] = [];
  for (const node of plan.nodes) {
    for (const f of nodeFiles(plan, node)) {
      const p = join(dir, node.name, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
      if (typeof f.content === 'string' && (f.content.startsWith('#!/usr/bin/env bash') || f.content.startsWith('# shellcheck shell=bash'))) scripts.push(p);
    }
  }
  return { dir, scripts };
}

/** What the real shellcheck says of the scripts at every severity: '' when they pass with no warning. */
export function shellcheckFindings(scripts: readonly string[]): string {
  const r = run('shellcheck', ['--severity=style', '--shell=bash', '--external-sources', ...scripts]);
  return `${r.stdout}${r.stderr}${r.status === 0 ? '' : `shellcheck exit ${r.status}`}`;
}
