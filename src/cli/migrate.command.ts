import { Command } from 'commander';
import { createStore } from '../app.js';
import { loadFromFlags } from './shared.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply pending database migrations (PostgreSQL, or a SQLite file) and exit')
    .option('--mode <mode>', 'lite or standard (default from config)')
    .action(async (flags: { mode?: string }, command: Command) => {
      const { config } = loadFromFlags(command, flags);
      const store = await createStore(config);
      try {
        const applied = await store.migrate();
        process.stdout.write(
          applied.length > 0
            ? `applied ${applied.length} migration(s) to ${store.dialect}: ${applied.join(', ')}\n`
            : `${store.dialect}: already up to date\n`,
        );
      } finally {
        await store.close();
      }
    });
}
