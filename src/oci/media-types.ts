/**
 * The manifest media types a registry may answer with (opencontainers/image-spec media-types.md;
 * Docker's distribution manifest v2 schema 2 and manifest list). Docker schema 1 is not accepted:
 * registry.k8s.io and Docker Hub serve schema 2 or OCI for everything kubeseed pulls.
 */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_LIST];
export const MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];

/** The Accept header of a manifest request: every type kubeseed can read, lists first. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');
