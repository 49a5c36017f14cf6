// A load generator in its own process, so the server's CPU per request (read from /proc/self/task in the server)
// holds the server's threads only, never the load generator's or its garbage collector's. Reads autocannon
// options as JSON on stdin, writes the result summary as JSON on stdout.
import autocannon from 'autocannon';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  const r = await autocannon(JSON.parse(input));
  process.stdout.write(
    JSON.stringify({ requests: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, statusCodes: r.statusCodeStats, errors: r.errors }),
  );
});
