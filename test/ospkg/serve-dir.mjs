// Serves a directory read-only on 127.0.0.1 at a free port; prints the URL on stdout and stops
// by itself after the given number of seconds (default 3600). For the apt repository of
// test/ospkg/apt-repo.sh; paths with '..' are refused.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const [dir, seconds = '3600'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: serve-dir.mjs DIR [SECONDS]');
  process.exit(2);
}
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = normalize(join(dir, path));
  let size = -1;
  try {
    const st = statSync(file);
    if (st.isFile() && !path.split('/').includes('..')) size = st.size;
  } catch {}
  if (size < 0) return res.writeHead(404).end();
  res.writeHead(200, { 'content-length': size });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/`);
  setTimeout(() => process.exit(0), Number(seconds) * 1000).unref();
  setTimeout(() => server.close(), Number(seconds) * 1000);
});
