export interface TestTls { caFile: string; certFile: string; keyFile: string; certDir: string }
export interface TestRegistry {
  host: string;
  url: string;
  tls: TestTls;
  user: string;
  password: string;
  pid: number;
  tokenRequests: { scope: string[]; who: string }[];
  stop(): Promise<void>;
}
export function makeTestCa(dir: string): TestTls;
export function freePort(): Promise<number>;
export function startRegistry(o: { dir: string; auth?: 'none' | 'htpasswd' | 'token'; tls: TestTls; user?: string; password?: string }): Promise<TestRegistry>;
