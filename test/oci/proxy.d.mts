import type { TestTls } from './registry.mjs';
export interface TestProxy {
  host: string;
  url: string;
  log: { method: string; path: string; range: string | null }[];
  rules: { flip: Set<string>; cut: Map<string, { at: number; times: number }> };
  stop(): Promise<void>;
}
export function startProxy(o: { upstream: string; tls: TestTls }): Promise<TestProxy>;
