/**
 * Patches an upstream CNI manifest with the plan's values, through the yaml library's documents,
 * never by text substitution: the pod CIDR and MTU where each plugin reads them, and every
 * container image rewritten to the reference the plan pins. Each value sits at an anchor (an
 * object, a container, a key) the upstream release has; when one is missing, the upstream
 * manifest changed shape and patching it blindly could apply something nobody asked for, so the
 * patch fails with what it expected. Pure.
 *
 * Only the documents that can hold an anchor or a container are parsed and, when patched, written
 * again; every other document (Calico's CRDs are nine tenths of its 540 KB) keeps its upstream
 * bytes, so the patched manifest differs from the upstream one exactly where kubeseed changed
 * it, and patching takes milliseconds instead of the second a full parse takes.
 *
 * Calico (manifests/calico.yaml): DaemonSet kube-system/calico-node, container calico-node, env
 * CALICO_IPV4POOL_CIDR (commented out upstream, so added; without it calico-node would read
 * kubeadm's podSubnet, or fall back to 192.168.0.0/16); ConfigMap kube-system/calico-config key
 * veth_mtu (a string; "0" upstream means auto-detect), which install-cni and felix read.
 * Flannel (Documentation/kube-flannel.yml): ConfigMap kube-flannel/kube-flannel-cfg key
 * net-conf.json, a JSON document in a block scalar: Network, and Backend.MTU, which flannel takes
 * as the interface (outer) MTU and subtracts its VXLAN header from for the pods.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { toJson, toYamlDocuments } from '../serialize.js';

export interface ManifestPatch {
  readonly plugin: 'calico' | 'flannel';
  readonly version: string;
  readonly fileName: string;
  readonly url: string;
  readonly podSubnet: string;
  /** The pods' MTU. */
  readonly mtu: number;
  /** The encapsulation header's bytes (flannel's Backend.MTU is the pods' MTU plus these). */
  readonly overhead: number;
  /** Every image the manifest names (upstream reference) and what the patched manifest says instead. */
  readonly images: readonly { readonly upstream: string; readonly pinned: string }[];
}

/** The upstream manifest is not what this kubeseed release knows how to patch. */
export class CniManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CniManifestError';
  }
}

/** The manifest's documents: each one's text, parsed when it can hold something patched. */
interface Part {
  readonly text: string;
  readonly doc?: Document.Parsed;
}

/** Documents changed by the patch: written again; the others keep their text. */
type Changed = Set<Document.Parsed>;

type Docs = readonly Part[];

/**
 * A YAML stream split into its documents. A line that starts with `---` and then a space or its
 * end is a document marker wherever it appears (YAML 1.2 §9.1.4: no content line may look like
 * one), so the split needs no parse.
 */
function split(text: string): string[] {
  return text.split(/^(?=---(?:[ \t]|\r?\n|$))/m);
}

/**
 * Whether a document can hold a container list or an anchor object: a `containers`,
 * `initContainers` or `ephemeralContainers` key, or a ConfigMap or DaemonSet kind. In YAML a key
 * and its colon share a line, quoted or not, in block or flow style, so a document without such
 * text holds none (a CRD's descriptions may name containers in prose).
 */
function mayHold(text: string): boolean {
  return /[cC]ontainers["']?[ \t]*:/.test(text) || /kind["']?[ \t]*:[ \t]*["']?(ConfigMap|DaemonSet)\b/.test(text);
}

function fail(p: ManifestPatch, expected: string): never {
  throw new CniManifestError(
    `${p.plugin} ${p.version} manifest ${p.fileName} (${p.url}): expected ${expected}; `
      + 'the manifest does not have the shape kubeseed patches, so no pod network can be compiled in from it',
  );
}

function str(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/** The one document holding `kind` `namespace/name`, marked changed. */
function object(docs: Docs, changed: Changed, p: ManifestPatch, kind: string, namespace: string, name: string): Document.Parsed {
  const found = docs.flatMap((x) => (x.doc ? [x.doc] : [])).filter((d) => isMap(d.contents) && d.get('kind') === kind
    && d.getIn(['metadata', 'name']) === name && d.getIn(['metadata', 'namespace']) === namespace);
  if (found.length !== 1) fail(p, `one ${kind} ${namespace}/${name} (found ${found.length})`);
  changed.add(found[0]!);
  return found[0]!;
}

function container(doc: Document.Parsed, p: ManifestPatch, where: string, name: string): YAMLMap {
  const list = doc.getIn(['spec', 'template', 'spec', 'containers'], true);
  const found = isSeq(list) ? list.items.filter((c): c is YAMLMap => isMap(c) && c.get('name') === name) : [];
  if (found.length !== 1) fail(p, `container ${name} in ${where}`);
  return found[0]!;
}

/** A string scalar at `path` in `doc`, to be given a new value (its quoting style stays). */
function stringAt(doc: Document.Parsed, p: ManifestPatch, path: readonly string[], where: string): Scalar {
  const node = doc.getIn(path, true);
  if (!isScalar(node) || typeof node.value !== 'string') fail(p, `a string ${path.join('.')} in ${where}`);
  return node;
}

function patchCalico(docs: Docs, changed: Changed, p: ManifestPatch): void {
  const ds = object(docs, changed, p, 'DaemonSet', 'kube-system', 'calico-node');
  const node = container(ds, p, 'DaemonSet kube-system/calico-node', 'calico-node');
  const env = node.get('env', true);
  if (!isSeq(env)) fail(p, 'an env list on container calico-node of DaemonSet kube-system/calico-node (where CALICO_IPV4POOL_CIDR goes)');
  const cidr = env.items.filter((e): e is YAMLMap => isMap(e) && e.get('name') === 'CALICO_IPV4POOL_CIDR');
  if (cidr.length > 1) fail(p, 'at most one CALICO_IPV4POOL_CIDR in the env of container calico-node');
  if (cidr[0]) cidr[0].set('value', p.podSubnet);
  else (env as YAMLSeq).items.push(ds.createNode({ name: 'CALICO_IPV4POOL_CIDR', value: p.podSubnet }));
  const cm = object(docs, changed, p, 'ConfigMap', 'kube-system', 'calico-config');
  stringAt(cm, p, ['data', 'veth_mtu'], 'ConfigMap kube-system/calico-config').value = String(p.mtu);
}

function patchFlannel(docs: Docs, changed: Changed, p: ManifestPatch): void {
  const cm = object(docs, changed, p, 'ConfigMap', 'kube-flannel', 'kube-flannel-cfg');
  const where = 'ConfigMap kube-flannel/kube-flannel-cfg';
  const scalar = stringAt(cm, p, ['data', 'net-conf.json'], where);
  let conf: unknown;
  try {
    conf = JSON.parse(scalar.value as string);
  } catch {
    fail(p, `JSON in data.net-conf.json of ${where}`);
  }
  const c = conf as { Network?: unknown; Backend?: unknown } | null;
  if (!c || typeof c !== 'object' || typeof c.Network !== 'string') fail(p, `a string Network in data.net-conf.json of ${where}`);
  if (!c.Backend || typeof c.Backend !== 'object' || Array.isArray(c.Backend)) fail(p, `a Backend object in data.net-conf.json of ${where}`);
  c.Network = p.podSubnet;
  (c.Backend as Record<string, unknown>).MTU = p.mtu + p.overhead;
  scalar.value = toJson(c);
}

/**
 * Rewrites the `image` of every container, init container and ephemeral container in every
 * document. An image the plan does not list, or a listed one the manifest never names, fails:
 * the plan's images are what the bundle carries and the nodes import.
 */
function patchImages(docs: Docs, changed: Changed, p: ManifestPatch): void {
  const want = new Map(p.images.map((i) => [i.upstream, i.pinned]));
  const seen = new Set<string>();
  let doc: Document.Parsed;
  const visitContainers = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isPair(pair) ? str(pair.key) : undefined;
        if ((key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers') && isSeq(pair.value)) {
          for (const c of pair.value.items) {
            if (!isMap(c)) continue;
            const image = c.get('image', true);
            const ref = str(image);
            if (ref === undefined) fail(p, `an image on every container (container ${String(c.get('name'))} has none)`);
            const pinned = want.get(ref);
            if (pinned === undefined) fail(p, `only the images the version table lists (${[...want.keys()].join(', ')}); it names ${ref}`);
            (image as Scalar).value = pinned;
            seen.add(ref);
            changed.add(doc);
          }
        }
        if (isPair(pair)) visitContainers(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visitContainers(item);
    }
  };
  for (const x of docs) {
    if (!x.doc) continue;
    doc = x.doc;
    visitContainers(doc.contents);
  }
  const missing = [...want.keys()].filter((r) => !seen.has(r));
  if (missing.length > 0) fail(p, `image ${missing.join(', ')} on some container`);
}

/** The patched manifest, as one multi-document YAML stream. */
export function patchManifest(text: string, p: ManifestPatch): string {
  const docs: Part[] = split(text).map((part) => {
    if (!mayHold(part)) return { text: part };
    // YAML 1.1: kubectl's sigs.k8s.io/yaml reads it so, and the document is written back the same way.
    const doc = parseDocument(part, { version: '1.1' });
    if (doc.errors.length > 0) fail(p, `valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
    return { text: part, doc };
  });
  const changed: Changed = new Set();
  if (p.plugin === 'calico') patchCalico(docs, changed, p);
  else patchFlannel(docs, changed, p);
  patchImages(docs, changed, p);
  return docs.map((x) => (x.doc && changed.has(x.doc) ? toYamlDocuments([x.doc]) : x.text)).join('');
}
