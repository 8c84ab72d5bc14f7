#!/usr/bin/env node
import { main } from './main.js';

// Not a top-level await: the single executable's bundle is CommonJS (scripts/release.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
