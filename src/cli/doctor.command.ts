import { Command } from 'commander';
import { type CheckResult, fail, formatReport, reason } from '../doctor/doctor.js';
import { loadFromFlags } from './shared.js';

/**
 * `session-buddy doctor`: checks the configuration, the database (version, pgvector, migrations), Redis, the
 * embedding provider and disk space, prints what to fix, exits 1 when something is broken (warnings exit 0).
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'Check configuration, database (version, pgvector, migrations), Redis, the embedding provider and disk ' +
        'space; print what to fix. Exit code 1 when something is broken.',
    )
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--json', 'print the checks as JSON')
    .action(async (flags: { mode?: string; json?: boolean }, command: Command) => {
      let results: CheckResult[];
      let heading = 'session-buddy doctor';
      try {
        const loaded = loadFromFlags(command, flags);
        heading += ` (${loaded.config.mode} mode)`;
        // Loaded here: the checks bring database and Redis clients that no other command needs at start.
        const { runDoctor } = await import('../doctor/run-doctor.js');
        results = await runDoctor(loaded);
      } catch (error) {
        // The configuration does not load: nothing else can be checked.
        results = [
          fail(
            'config',
            reason(error),
            'correct the setting named (`session-buddy config show`, docs/configuration.md)',
          ),
        ];
      }
      process.stdout.write(flags.json ? `${JSON.stringify(results, null, 2)}\n` : formatReport(results, heading));
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
}
