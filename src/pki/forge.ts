/**
 * node-forge, loaded on the first certificate made rather than with x509.ts: it takes ~50 ms to
 * load, and a compile with an existing state makes no certificates. A synchronous require, so
 * creating a state stays synchronous.
 *
 * The bundles (scripts/bundle-seams.mjs) replace this module with one whose require() esbuild
 * resolves at build time: node-forge is then inside the bundle, and still only run on first use.
 */
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

export function loadForge(): typeof Forge {
  return createRequire(import.meta.url)('node-forge') as typeof Forge;
}
