/**
 * Test artifacts made here: small generated files, and a copy of the version table whose digests
 * are those files' digests, so the real bundle code verifies real (if tiny) content.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { neededArtifacts, type Artifact, type ArtifactFacts } from '../../src/plan/artifacts.js';
import { COMPONENTS, versionTable, type VersionTable } from '../../src/plan/versions.js';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';

export const FACTS: ArtifactFacts = { kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'ubuntu' };

/** Deterministic pseudo-random bytes: a sha256 chain seeded by `seed`. */
export function bytesFor(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface Fixture {
  table: VersionTable;
  artifacts: Artifact[];
  /** Content of every binary/archive artifact by file name. */
  content: Map<string, Buffer>;
}

/** A table for FACTS whose component digests match generated files (sizes vary by component). */
export function makeFixture(facts: ArtifactFacts = FACTS): Fixture {
  const raw = structuredClone(versionTable()) as VersionTable;
  const upstream = neededArtifacts(facts);
  const content = new Map<string, Buffer>();
  COMPONENTS.forEach((name, i) => {
    const a = upstream.find((x) => x.name === name);
    if (!a?.fileName) throw new Error(`fixture: no ${name}`);
    const body = bytesFor(`${name}-${a.version}`, 4096 * (i + 1) + 123 * i);
    content.set(a.fileName, body);
    const d = raw.digests[name][a.version];
    if (!d) throw new Error(`fixture: no digest row for ${name} ${a.version}`);
    d[facts.arch] = sha256(body);
  });
  const table = parseVersionTable(raw);
  return { table, artifacts: neededArtifacts(facts, table), content };
}

/** Writes the fixture's binaries/archives into `dir` by file name; returns dir. */
export function writeFromDir(dir: string, fx: Fixture): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of fx.content) writeFileSync(join(dir, name), body);
  return dir;
}
