export { mirrorUrl } from '../../plan/artifacts.js';
export { buildBundle, type BuildBundleOptions, type BundleProgress, type BundleResult } from './build.js';
export { DigestMismatchError } from './digest.js';
export { downloadResumable, HttpStatusError, type DownloadOptions, type DownloadProgress } from './download.js';
export { listBundle } from './list.js';
export { BUNDLE_FORMAT_VERSION, BUNDLE_TAR, bundleJson, sha256sums, type BundledFile, type SkippableKind } from './manifest.js';
