// Issue 15: repeated SIGTERM of an idle worker after a burst of writes, built CLI, default settings. Each cycle waits
// until the queues are idle (no job waiting, active or delayed, outbox empty), then `idleMs`, then SIGTERM, and prints
// the worker's own account of the stop ("stopped taking jobs": jobs running at the signal, ms) beside the exit time.
// Usage: npm run build && node tests/helpers/fault-worker-stop-repro.mjs <cycles> <idleMs>  (LVL=debug SHOW=1 for logs)
// Uses the shared PostgreSQL (own database, dropped) and Redis (own prefix, deleted).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

const CLI = new URL('../../dist/bundle/main.js', import.meta.url).pathname;
const cycles = Number(process.argv[2] ?? 3);
const idleMs = Number(process.argv[3] ?? 5000);
const db = `faults_repro_${process.pid}`;
spawnSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', db]);
const url = `postgres://postgres@127.0.0.1:5432/${db}`;
const prefix = `faults-repro-${process.pid}`;
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SESSION_BUDDY_'))),
  SESSION_BUDDY_MODE: 'standard',
  SESSION_BUDDY_DATABASE__URL: url,
  SESSION_BUDDY_REDIS__URL: 'redis://127.0.0.1:6379',
  SESSION_BUDDY_REDIS__PREFIX: prefix,
  SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
  SESSION_BUDDY_LOGGING__LEVEL: process.env.LVL ?? 'info',
  SESSION_BUDDY_AUTH__ENABLED: 'false',
  SESSION_BUDDY_ANALYTICS__PATH: ':memory:',
};
const m = spawnSync(process.execPath, [CLI, 'migrate'], { env, encoding: 'utf8' });
if (m.status !== 0) {
  console.log(m.stdout, m.stderr);
  process.exit(1);
}
function start(cmd) {
  const proc = spawn(process.execPath, [CLI, cmd, '--port=0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = once(proc, 'exit').then(([c]) => c);
  return new Promise((resolve, reject) => {
    const onData = (b) => {
      out += b;
      const m =
        /"msg":"Session-Buddy (worker )?ready".*?"url":"([^"]+)"|"url":"([^"]+)"[^\n]*"msg":"Session-Buddy (worker )?ready"/.exec(
          out,
        );
      if (m) resolve({ proc, url: m[2] ?? m[3], out: () => out, exited });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (b) => {
      out += b;
    });
    proc.once('exit', (c) => reject(new Error(`exit ${c}\n${out}`)));
  });
}
const api = await start('start');
const post = async (path, body) => {
  const r = await fetch(api.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return r.json();
};
const results = [];
for (let c = 0; c < cycles; c++) {
  const w = await start('worker');
  const s = await post('/v1/sessions', { name: `r${c}`, project: 'repro' });
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      post(`/v1/sessions/${s.id}/messages`, { role: 'user', content: `burst ${c} ${i} refactor postgres outbox` }),
    ),
  );
  const idleSince = Date.now();
  for (;;) {
    const stats = await (await fetch(`${api.url}/v1/queues/stats`)).json();
    const busy = Object.values(stats.queues).reduce((n, q) => n + q.waiting + q.active + (q.delayed ?? 0), 0);
    if (busy === 0 && stats.outbox.pending === 0) break;
    if (Date.now() - idleSince > 120_000) throw new Error(`queues not idle after 120 s: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const drainMs = Date.now() - idleSince;
  await new Promise((r) => setTimeout(r, idleMs));
  const t0 = Date.now();
  w.proc.kill('SIGTERM');
  const code = await w.exited;
  const ms = Date.now() - t0;
  const stopLine = /\{[^\n]*"msg":"stopped taking jobs"[^\n]*\}/.exec(w.out())?.[0];
  const { runningAtStop, ms: closeMs } = stopLine ? JSON.parse(stopLine) : {};
  results.push({ c, code, ms, drainMs, runningAtStop, closeMs });
  console.log(
    `cycle ${c}: exit ${code} in ${ms} ms (queues drained ${drainMs} ms after the burst; jobs running at the signal: ${runningAtStop}, workers closed in ${closeMs} ms)`,
  );
  if (code !== 0 || ms > 5000 || process.env.SHOW)
    console.log(
      w
        .out()
        .split('\n')
        .filter((l) => /warn|error|shut|timed|stopp|given|"level":(40|50)/i.test(l))
        .slice(-30)
        .join('\n'),
    );
}
api.proc.kill('SIGTERM');
console.log('api exit', await api.exited);
spawnSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', db]);
const keys = spawnSync('redis-cli', ['--scan', '--pattern', `${prefix}*`], { encoding: 'utf8' }).stdout.split('\n');
for (const key of keys.filter(Boolean)) spawnSync('redis-cli', ['del', key]);
console.log(JSON.stringify(results));
