/**
 * The ledger of --one-shot-secrets: which secret-bearing files have been handed out, to whom and
 * when. A file is claimed before its first byte is sent and the claim is written to disk at
 * once, so that neither a second request meanwhile nor a server that dies mid-transfer hands it
 * out twice; a transfer the client breaks off releases the claim (the machine may try again).
 * Restarting the server keeps the ledger: only an explicit re-arm clears entries.
 *
 * The file is JSON, written whole to a temporary file, synced, and renamed over the old one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toJson } from '../render/serialize.js';

export interface LedgerEntry {
  readonly node: string;
  readonly file: string;
  /** serving: claimed and being sent (or the server stopped while it was); served: sent whole. */
  readonly state: 'serving' | 'served';
  readonly client: string;
  readonly at: string;
}

interface LedgerFile {
  readonly kind: 'KubeseedOneShotLedger';
  readonly cluster: string;
  readonly entries: readonly LedgerEntry[];
}

export class LedgerError extends Error {}

const key = (node: string, file: string): string => `${node}/${file}`;

export class OneShotLedger {
  private readonly entries = new Map<string, LedgerEntry>();

  private constructor(readonly file: string, readonly cluster: string) {}

  /**
   * Reads the ledger (none yet: empty), drops the entries of the nodes in `rearm` ("all": every
   * node) and writes it back when that changed anything.
   */
  static open(file: string, cluster: string, rearm: readonly string[] | 'all'): { ledger: OneShotLedger; rearmed: LedgerEntry[] } {
    const ledger = new OneShotLedger(file, cluster);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new LedgerError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code})`);
    }
    if (text !== undefined) {
      let parsed: Partial<LedgerFile>;
      try {
        parsed = JSON.parse(text) as Partial<LedgerFile>;
      } catch {
        throw new LedgerError(`${file}: not JSON; it records which secrets were served: repair it or move it away (every secret is then served once more)`);
      }
      if (parsed.kind !== 'KubeseedOneShotLedger' || !Array.isArray(parsed.entries)) throw new LedgerError(`${file}: not a kubeseed one-shot ledger`);
      if (parsed.cluster !== cluster) throw new LedgerError(`${file}: the ledger of cluster ${JSON.stringify(parsed.cluster)}, not ${cluster}`);
      for (const e of parsed.entries) {
        if (typeof e?.node !== 'string' || typeof e.file !== 'string' || (e.state !== 'serving' && e.state !== 'served')
          || typeof e.client !== 'string' || typeof e.at !== 'string') throw new LedgerError(`${file}: a malformed entry ${JSON.stringify(e)}`);
        ledger.entries.set(key(e.node, e.file), e);
      }
    }
    const rearmed = [...ledger.entries.values()].filter((e) => rearm === 'all' || rearm.includes(e.node));
    for (const e of rearmed) ledger.entries.delete(key(e.node, e.file));
    if (rearmed.length > 0) ledger.save();
    return { ledger, rearmed };
  }

  get(node: string, file: string): LedgerEntry | undefined {
    return this.entries.get(key(node, file));
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  /** Claims the file for `client`; returns the entry that already holds it when there is one. */
  claim(node: string, file: string, client: string, now: Date): LedgerEntry | undefined {
    const held = this.get(node, file);
    if (held) return held;
    this.entries.set(key(node, file), { node, file, state: 'serving', client, at: now.toISOString() });
    this.save();
    return undefined;
  }

  /** The claimed file went out whole. */
  served(node: string, file: string, now: Date): LedgerEntry {
    const held = this.get(node, file);
    if (!held) throw new Error(`unreachable: ${key(node, file)} was not claimed`);
    const done: LedgerEntry = { ...held, state: 'served', at: now.toISOString() };
    this.entries.set(key(node, file), done);
    this.save();
    return done;
  }

  /** The transfer broke off: the file may be served again. */
  release(node: string, file: string): void {
    if (this.entries.delete(key(node, file))) this.save();
  }

  private save(): void {
    const entries = [...this.entries.values()].sort((a, b) => (key(a.node, a.file) < key(b.node, b.file) ? -1 : 1));
    const body = toJson({ kind: 'KubeseedOneShotLedger', cluster: this.cluster, entries } satisfies LedgerFile);
    const tmp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, this.file);
    } catch (e) {
      unlinkSync(tmp);
      throw e;
    }
    // The rename itself survives a crash only once the directory is synced.
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
