/**
 * This kubeseed's version (package.json's; test/release/version.test.ts keeps the two in step).
 * manifest.json and bundle.json carry it, so a site can tell which kubeseed wrote a tree. The
 * commit a build came from is not carried there: it changes with every commit, even one that
 * changes no output, and the same profile and state must give the same bytes with the same
 * release (`kubeseed --version` prints the commit).
 */
export const KUBESEED_VERSION = '0.1.0';
