// Bundles the CLI into dist/bundle: what `npm start` and the `session-buddy` bin run.
//
// Why: start-up of lite mode is dominated by module loading (zod alone is ~230 files; resolving and reading
// hundreds of small files costs more than running them). One bundle with code splitting loads a few files, and
// what start-up does not need (MCP, PostgreSQL, BullMQ, the admin pages) stays in chunks loaded on demand.
//
// Packages with native code, data files or worker files of their own stay external and load from node_modules.
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bundle';

const external = [
  'better-sqlite3', // native addon
  '@duckdb/*', // native addon (loaded on first analytics use)
  'sqlite-vec', // native extension, found next to its package
  '@energetic-ai/*', // model files
  'bullmq', // Lua scripts read from its own folder
  'ioredis',
  'postgres',
  'pgvector',
  '@bull-board/*', // static UI files
  '@modelcontextprotocol/sdk',
  'playwright-core',
  'typescript', // only to run the embedding worker from sources in development
];

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    main: 'src/cli/main.ts',
    // Loaded by src/embeddings/local.provider.ts as `./local-model.worker.js` next to itself.
    'local-model.worker': 'src/embeddings/local-model.worker.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  sourcemap: true,
  // One flat folder: modules find their neighbours (worker file, migrations) with import.meta.url.
  chunkNames: '[name]-[hash]',
  // CommonJS packages in an ES module bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __sbCreateRequire } from 'node:module'; const require = __sbCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// Migrations are read at run time from `./<dialect>/migrations/` next to the module that reads them.
for (const dialect of ['postgres', 'sqlite']) {
  cpSync(`src/repositories/${dialect}/migrations`, `${outdir}/${dialect}/migrations`, { recursive: true });
}
