#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, ValidationError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { analyticsCommand } from './analytics.command.js';
import { callCommand } from './call.command.js';
import { configCommand } from './config.command.js';
import { dlqCommand } from './dlq.command.js';
import { doctorCommand } from './doctor.command.js';
import { importCommand } from './import.command.js';
import { migrateCommand } from './migrate.command.js';
import { patternsCommand } from './patterns.command.js';
import { reflectionsCommand } from './reflections.command.js';
import { searchCommand } from './search.command.js';
import { BAD_INPUT } from './shared.js';
import { keysCommand, snapshotCommand } from './snapshot.command.js';
import { startCommand } from './start.command.js';
import { tokenCommand } from './token.command.js';
import { workerCommand } from './worker.command.js';

const program = new Command('session-buddy')
  .description('Session and memory manager for AI-assisted development')
  .version(VERSION, '-v, --version')
  .addOption(new Option('--settings-dir <dir>', 'folder with session-buddy.yaml, <mode>.yaml and local.yaml'))
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

program.addCommand(startCommand());
program.addCommand(migrateCommand());
program.addCommand(workerCommand());
program.addCommand(dlqCommand());
program.addCommand(searchCommand());
program.addCommand(patternsCommand());
program.addCommand(reflectionsCommand());
program.addCommand(importCommand());
program.addCommand(configCommand());
program.addCommand(analyticsCommand());
program.addCommand(callCommand());
program.addCommand(doctorCommand());
program.addCommand(tokenCommand());
program.addCommand(snapshotCommand());
program.addCommand(keysCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`session-buddy: ${(error as Error).message}\n`);
  // Bad configuration or bad input: 2, like commander's own usage errors; anything else (not found, unreachable): 1.
  process.exit(error instanceof ConfigError || error instanceof ValidationError ? BAD_INPUT : 1);
}
