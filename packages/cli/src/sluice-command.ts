import { Command } from 'commander';
import { sparkConfInstead } from './spark-conf-keys.js';

/** Why a command has no such option, for options other commands have (the rest get commander's message). */
const WHY_NOT: Readonly<Record<string, string>> = {
  '--tls-cert': "a client presents no certificate; give the CA that signed the driver's certificate with --tls-ca",
  '--tls-key': "a client presents no certificate; give the CA that signed the driver's certificate with --tls-ca",
  '--log-level': 'it logs nothing: it prints what the driver answers',
};

/**
 * spark-submit's options a Spark user types by habit, none of which a sluice command has:
 * what Sluice does instead (commander's "unknown option" alone leaves them guessing).
 */
const SPARK_SUBMIT_OPTIONS: Readonly<Record<string, string>> = {
  '--master':
    "Sluice has no master URL: 'sluice submit --driver HOST:PORT job.ts' sends the job to a standing driver (spark://HOST:PORT becomes HOST:PORT, as 'sluice driver' prints it), and 'sluice run job.ts' runs it on a local cluster of its own (local[N]: 'sluice run --workers N')",
  '--deploy-mode': "a job's program always runs in the driver process, as in cluster mode, and 'sluice submit' prints its output",
  '--num-executors': "workers are processes: 'sluice run --workers N', or one 'sluice worker --driver HOST:PORT' each beside a standing driver",
  '--total-executor-cores': "'sluice run --workers N --cores C' (N x C), or 'sluice worker --cores C' on each worker of a standing driver",
  '--executor-cores': "'--cores C' on 'sluice run' and on 'sluice worker'",
  '--executor-memory': "'sluice worker --memory MB' (MiB of blocks a worker keeps in memory before spilling)",
  '--class': "a job is a module: give its file, whose default export runs",
  '--conf': "there is no SparkConf: settings are the commands' options ('sluice <command> --help') and the StreamingContext's options (new StreamingContext(sc, batch, options))",
  '--jars': "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  '--packages': "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
};

/**
 * A `sluice` command whose unknown-option error says which commands do take the option
 * (and, for the options every server takes, why this command does not), or, for
 * spark-submit's own options, what Sluice has instead, where commander says a bare
 * "unknown option". Subcommands made with `.command()` are of this class.
 */
export class SluiceCommand extends Command {
  override createCommand(name?: string): Command {
    return new SluiceCommand(name);
  }

  /** Called by commander's parser for an option this command does not define. */
  unknownOption(flag: string): void {
    const root = rootOf(this);
    const name = flag.split('=')[0];
    const owners = root.commands.filter((c) => c !== this && c.options.some((o) => o.long === name || o.short === name)).map((c) => `sluice ${c.name()}`);
    const spark = SPARK_SUBMIT_OPTIONS[name];
    if (owners.length === 0 && spark !== undefined) {
      // --conf KEY=VALUE: where that setting is in Sluice, when it is one the streaming guide names.
      const conf = name === '--conf' ? sparkConfInstead((root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv) : undefined;
      this.error(`error: unknown option '${name}' (spark-submit's): ${spark}${conf === undefined ? '' : `; ${conf}`}. See 'sluice ${this.parent === null ? '' : `${this.name()} `}--help'.`, {
        code: 'commander.unknownOption',
      });
    }
    if (owners.length === 0 || this.parent === null) {
      (Command.prototype as unknown as { unknownOption(this: Command, flag: string): void }).unknownOption.call(this, flag);
      return;
    }
    const why = WHY_NOT[name] ? `: ${WHY_NOT[name]}` : '';
    this.error(`error: sluice ${this.name()} does not take ${name} (an option of ${owners.join(', ')})${why}. See 'sluice ${this.name()} --help'.`, {
      code: 'commander.unknownOption',
    });
  }
}

function rootOf(c: Command): Command {
  let r = c;
  while (r.parent) r = r.parent;
  return r;
}
