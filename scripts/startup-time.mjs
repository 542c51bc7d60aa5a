// Lite start-up, measured the way docs/benchmarks.md states it: spawn `node <bundle>/main.js start --mode=lite`,
// poll GET /readyz until 200, kill; RUNS runs (Default: 10), median. CPU is the child's user + system time up to
// ready (from /proc, Linux), which a loaded machine moves far less than the wall time.
//
//   node scripts/startup-time.mjs [bundle-dir ...]        (Default: dist/bundle)
//
// Several folders (e.g. a copy of the bundle before a change, kept inside the package so node_modules resolves)
// are measured side by side, alternating run by run, with the load average printed beside the figures.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['dist/bundle'];
const runs = Number(process.env.RUNS ?? 10);
const ticks = 100; // USER_HZ on Linux

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
  } catch {
    return Number.NaN;
  }
}

async function once(dir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(dir, 'main.js'), 'start', '--mode=lite'], {
    env: { ...process.env, SESSION_BUDDY_SERVER__PORT: String(port), SESSION_BUDDY_LOGGING__LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`${dir}: the server exited before it was ready`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) return { ms: performance.now() - t0, cpu: cpuMs(child.pid) };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r() : child.once('exit', r)));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const loadBefore = loadavg()[0];
const results = new Map(dirs.map((d) => [d, []]));
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? dirs : [...dirs].reverse();
  for (const dir of order) results.get(dir).push(await once(dir));
}
const loadAfter = loadavg()[0];
const base = dirs[0];
for (const dir of dirs) {
  const r = results.get(dir);
  const ms = median(r.map((x) => x.ms));
  const cpu = median(r.map((x) => x.cpu));
  const size = statSync(join(dir, 'main.js')).size / 1e6;
  const vs =
    dir === base
      ? ''
      : `; ratio to ${base}: ready ${(ms / median(results.get(base).map((x) => x.ms))).toFixed(2)}, ` +
        `CPU ${(cpu / median(results.get(base).map((x) => x.cpu))).toFixed(2)}`;
  console.log(
    `${dir}: main.js ${size.toFixed(2)} MB; ready median ${ms.toFixed(0)} ms (min ${Math.min(...r.map((x) => x.ms)).toFixed(0)}, ` +
      `max ${Math.max(...r.map((x) => x.ms)).toFixed(0)}), CPU to ready median ${cpu.toFixed(0)} ms, ${runs} runs${vs}`,
  );
}
console.log(
  `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${cpus().length} cores`,
);
