import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * Part (e)'s receiver, in its own process so its work is not counted in a sender's: answers 204
 * to every request as soon as the body is in, and checks nothing while the clock runs. It keeps
 * the first SAMPLE requests (headers and body) for the parent to verify after the run. On each
 * line read from stdin it prints, as one JSON line, how many requests it answered, the CPU it used and the sample
 * since the last such line, and starts counting again.
 */
const SAMPLE = Number(process.argv[2] ?? 100);
type Kept = { headers: Record<string, string>; body: string };
let count = 0;
let sample: Kept[] = [];
let cpu = process.cpuUsage();

const server = createServer((req, res) => {
  const keep = sample.length < SAMPLE;
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => { if (keep) parts.push(c); });
  req.on('end', () => {
    count++;
    if (keep) sample.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(parts).toString('utf8') });
    res.writeHead(204).end();
  });
});
// Longer than any pause between two runs' requests: the senders' pooled connections stay usable.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  console.log(JSON.stringify({ port: address.port }));
});
createInterface({ input: process.stdin }).on('line', () => {
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ count, sample, cpuSeconds: (used.user + used.system) / 1e6 }));
  count = 0;
  sample = [];
  cpu = process.cpuUsage();
}).on('close', () => server.close(() => process.exit(0)));
