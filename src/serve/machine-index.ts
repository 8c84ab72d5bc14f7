/**
 * netboot/machines.json, the one thing `kubeseed serve` reads to know a compiled tree: every
 * machine's node name, MAC, SMBIOS UUID, iPXE script and the files it may fetch, each marked
 * secret or not. compile writes it (src/render/netboot/machines.ts); this module defines it and
 * checks it strictly when read, since every name in it becomes a path the server opens.
 */
import { readFileSync } from 'node:fs';

/** The files a booting machine fetches from nodes/<node>/: NoCloud's four, or Ignition's one. */
export const FETCHED_FILES: readonly string[] = ['ignition.json', 'meta-data', 'network-config', 'user-data', 'vendor-data'];

export interface MachineFile {
  readonly name: string;
  readonly path: string;
  readonly secret: boolean;
}

export interface Machine {
  readonly node: string;
  readonly mac: string;
  readonly uuid?: string;
  /** The machine's iPXE script, relative to the tree. */
  readonly script: string;
  readonly files: readonly MachineFile[];
}

export interface MachineIndex {
  readonly kind: 'KubeseedNetboot';
  readonly version: 1;
  readonly cluster: string;
  readonly machines: readonly Machine[];
}

export const INDEX_PATH = 'netboot/machines.json';

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class IndexError extends Error {}

function fail(file: string, what: string): never {
  throw new IndexError(`${file}: ${what}`);
}

/** Parses and checks an index; `file` names it in errors. */
export function parseMachineIndex(text: string, file: string): MachineIndex {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(file, `not JSON (${(e as Error).message})`);
  }
  const o = v as Partial<MachineIndex> | null;
  if (o === null || typeof o !== 'object' || o.kind !== 'KubeseedNetboot') fail(file, 'not a kubeseed netboot index (kind KubeseedNetboot)');
  if (o.version !== 1) fail(file, `version ${JSON.stringify(o.version)} is not one this kubeseed reads (1)`);
  if (typeof o.cluster !== 'string' || !LABEL.test(o.cluster)) fail(file, 'cluster must be an RFC 1123 label');
  if (!Array.isArray(o.machines)) fail(file, 'machines must be a list');
  const seen = new Set<string>();
  o.machines.forEach((m: Partial<Machine>, i) => {
    const at = `machines[${i}]`;
    if (m === null || typeof m !== 'object') fail(file, `${at} must be an object`);
    if (typeof m.node !== 'string' || !LABEL.test(m.node)) fail(file, `${at}.node must be an RFC 1123 label`);
    if (typeof m.mac !== 'string' || !MAC.test(m.mac)) fail(file, `${at}.mac must be a lower-case MAC`);
    if (m.uuid !== undefined && (typeof m.uuid !== 'string' || !UUID.test(m.uuid))) fail(file, `${at}.uuid must be a lower-case UUID`);
    if (m.script !== `netboot/mac/${m.mac.replaceAll(':', '-')}.ipxe`) fail(file, `${at}.script must be netboot/mac/<mac>.ipxe`);
    for (const key of [`node ${m.node}`, `mac ${m.mac}`, ...(m.uuid ? [`uuid ${m.uuid}`] : [])]) {
      if (seen.has(key)) fail(file, `${at}: ${key} appears twice`);
      seen.add(key);
    }
    if (!Array.isArray(m.files)) fail(file, `${at}.files must be a list`);
    m.files.forEach((f: Partial<MachineFile>, j) => {
      if (f === null || typeof f !== 'object' || typeof f.name !== 'string' || !FETCHED_FILES.includes(f.name)) {
        fail(file, `${at}.files[${j}].name must be one of ${FETCHED_FILES.join(', ')}`);
      }
      if (f.path !== `nodes/${m.node}/${f.name}`) fail(file, `${at}.files[${j}].path must be nodes/${m.node}/${f.name}`);
      if (typeof f.secret !== 'boolean') fail(file, `${at}.files[${j}].secret must be true or false`);
    });
  });
  return o as MachineIndex;
}

export function readMachineIndex(file: string): MachineIndex {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new IndexError(`${file}: no such file: the tree was compiled without a network boot entry (add spec.netboot to the profile, or compile with --netboot URL)`);
    }
    throw new IndexError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  return parseMachineIndex(text, file);
}
