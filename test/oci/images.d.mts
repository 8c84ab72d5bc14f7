export interface BuiltDescriptor { digest: string; size: number }
export interface BuiltImage {
  dir: string;
  index: BuiltDescriptor & { mediaType: string };
  manifests: Record<'amd64' | 'arm64', BuiltDescriptor & { mediaType: string; config: string }>;
  layers: (BuiltDescriptor & { diffId: string })[];
  blobs: string[];
}
export const BUSYBOX: string;
export const MEDIA: Record<'ociIndex' | 'ociManifest' | 'ociConfig' | 'ociLayer' | 'dockerList' | 'dockerManifest' | 'dockerConfig' | 'dockerLayer', string>;
export function buildTestImage(o: { dir: string; name?: string; format?: 'oci' | 'docker'; fillerMiB?: number }): BuiltImage;
export function skopeoPush(image: BuiltImage, dest: string, o?: { certDir?: string; creds?: string }): Promise<void>;
export function skopeoRawDigest(ref: string, o?: { certDir?: string; creds?: string }): Promise<{ raw: Buffer; digest: string }>;
