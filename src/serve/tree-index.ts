/**
 * The served tree's machine index, looked up by MAC, UUID, node and script, and read again when
 * a compile replaces the tree (it swaps the whole directory in with one rename, so the index and
 * the files it names always change together).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX_PATH, readMachineIndex, type Machine, type MachineIndex } from './machine-index.js';

export interface Indexed {
  readonly index: MachineIndex;
  readonly byMac: ReadonlyMap<string, Machine>;
  readonly byUuid: ReadonlyMap<string, Machine>;
  readonly byNode: ReadonlyMap<string, Machine>;
  readonly byScript: ReadonlyMap<string, Machine>;
}

function indexed(index: MachineIndex): Indexed {
  const by = (key: (m: Machine) => string | undefined) => new Map(index.machines.flatMap((m) => {
    const k = key(m);
    return k === undefined ? [] : [[k, m] as const];
  }));
  return { index, byMac: by((m) => m.mac), byUuid: by((m) => m.uuid), byNode: by((m) => m.node), byScript: by((m) => m.script) };
}

/** How often, at most, the index file is looked at for a newer compile. */
const RECHECK_MS = 1000;

export class TreeIndex {
  private value: Indexed;
  private version: string;
  private checked = 0;

  /** `root` is the tree's real path. Throws IndexError when the tree has no usable index. */
  constructor(readonly root: string, private readonly onReload: (what: string) => void) {
    this.version = this.stamp();
    this.value = indexed(readMachineIndex(this.file));
  }

  get file(): string {
    return join(this.root, INDEX_PATH);
  }

  private stamp(): string {
    try {
      const st = statSync(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'none';
    }
  }

  current(now: number): Indexed {
    if (now - this.checked < RECHECK_MS) return this.value;
    this.checked = now;
    const stamp = this.stamp();
    if (stamp === this.version) return this.value;
    this.version = stamp;
    try {
      this.value = indexed(readMachineIndex(this.file));
      this.onReload(`reloaded ${this.file}: ${this.value.index.machines.length} machines`);
    } catch (e) {
      this.onReload(`kept the previous index: ${(e as Error).message}`);
    }
    return this.value;
  }
}
