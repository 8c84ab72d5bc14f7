/**
 * Image references as docker and containerd read them (distribution/reference grammar, with the
 * docker normalisation CRI applies to every name kubelet asks for): `busybox` is
 * `docker.io/library/busybox`, `index.docker.io/x/y` is `docker.io/x/y`, and the first path
 * component is a registry host only when it has a `.` or a `:`, or is `localhost`.
 * Pure; no knowledge of profiles.
 */
import { DIGEST_RE } from './digest.js';

export interface ImageReference {
  /** `registry.k8s.io`, `docker.io`, `127.0.0.1:5000` */
  readonly registry: string;
  /** `kube-apiserver`, `library/busybox`, `coredns/coredns` */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<hex>` */
  readonly digest?: string;
}

export class ReferenceError extends Error {
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super(`${JSON.stringify(text)} is not an image reference: ${reason}`);
    this.name = 'ReferenceError';
  }
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
export const DOCKER_HUB = 'docker.io';

/** Parses and normalises `[registry/]path[:tag][@sha256:hex]`. Throws ReferenceError. */
export function parseReference(text: string): ImageReference {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new ReferenceError(text, `digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new ReferenceError(text, `tag ${JSON.stringify(tag)} is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (rest === '') throw new ReferenceError(text, 'no repository name');
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) throw new ReferenceError(text, `registry ${JSON.stringify(registry)} is not a host[:port]`);
  } else {
    registry = DOCKER_HUB;
    repository = rest;
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  for (const c of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(c)) throw new ReferenceError(text, `path component ${JSON.stringify(c)} must be lowercase letters and digits, separated by '.', '_', '__' or '-'`);
  }
  if (registry.length + 1 + repository.length > 255) throw new ReferenceError(text, 'the name is longer than 255 characters');
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `registry/repository[:tag][@digest]`; `parts` leaves out the tag or digest. */
export function formatReference(r: ImageReference, parts: { tag?: boolean; digest?: boolean } = {}): string {
  const tag = parts.tag !== false && r.tag ? `:${r.tag}` : '';
  const digest = parts.digest !== false && r.digest ? `@${r.digest}` : '';
  return `${r.registry}/${r.repository}${tag}${digest}`;
}
