// The baseline for bench/webhooks.sh: a plain Node.js server (node:http) running the benchmark
// connector's own handle.js on each POST, with no isolation and storing nothing.
//   node bench/node-server.mjs plain|vm      (the webhook secret in BENCH_SECRET)
// plain: handle.js imported once and called in this process's realm.
// vm:    a fresh context per request (vm.createContext + vm.runInContext of handle.js's source),
//        the counterpart of `serve --isolation invocation`.
// Prints `listening on http://127.0.0.1:PORT` once bound (port 0: the system picks one).
import http from 'node:http';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';

const mode = process.argv[2] ?? 'plain';
const secret = process.env.BENCH_SECRET;
if (!secret || !['plain', 'vm'].includes(mode)) {
  console.error('usage: BENCH_SECRET=... node node-server.mjs plain|vm');
  process.exit(2);
}
const handleUrl = new URL('./connectors/github-bench/events/issues/handle.js', import.meta.url);
const parameters = { secret };

let handle;
if (mode === 'plain') {
  handle = (await import(handleUrl)).default;
} else {
  // The same file as a script: its import becomes the context's globals, its default export a
  // function declaration whose value the script ends with.
  const source = readFileSync(handleUrl, 'utf8')
    .replace(/^import .* from 'node:crypto';$/m, '')
    .replace('export default async function handle', 'async function handle')
    + '\nhandle;\n';
  handle = (args) => {
    const context = vm.createContext({ createHmac, timingSafeEqual, Buffer });
    const fn = vm.runInContext(source, context, { filename: 'handle.js' });
    return fn(args);
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let data;
    try {
      data = rawBody === '' ? null : JSON.parse(rawBody);
    } catch {
      return reply(res, 400, { error: 'malformed JSON body' });
    }
    try {
      const result = await handle({ rawBody, headers: req.headers, parameters, data, body: data });
      reply(res, 200, { events: result.events.length });
    } catch {
      reply(res, 500, { error: 'handle failed' });
    }
  });
});

function reply(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
