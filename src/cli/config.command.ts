import { Command } from 'commander';
import { describeConfig } from '../config/config.loader.js';
import { loadFromFlags } from './shared.js';

export function configCommand(): Command {
  const config = new Command('config').description('Inspect configuration');
  config
    .command('show')
    .description('Print the effective configuration, secrets redacted, with the source of each value')
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--json', 'print JSON instead of a table')
    .action((flags: { mode?: string; json?: boolean }, command: Command) => {
      const loaded = loadFromFlags(command, flags);
      const rows = describeConfig(loaded);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(...rows.map((r) => r.key.length));
      const valueWidth = Math.min(48, Math.max(...rows.map((r) => show(r.value).length)));
      for (const row of rows) {
        process.stdout.write(`${row.key.padEnd(width)}  ${show(row.value).padEnd(valueWidth)}  ${row.source}\n`);
      }
    });
  return config;
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}
