import { Command, type Option } from 'commander';
import { driverAddressProblem } from './driver-address.js';
import { sparkOptionValueInstead } from './spark-option-values.js';
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
  '--executor-memory': "'sluice worker --memory MEM' ('2g', '512m'; the memory a worker keeps blocks in before spilling)",
  '--driver-memory': "the driver is a Node process: give it V8's heap limit in MiB, NODE_OPTIONS=--max-old-space-size=2048 sluice driver (or sluice run)",
  '--driver-cores': "a job's program runs on one thread of the driver; its tasks run on the workers' cores ('sluice worker --cores C', 'sluice run --cores C')",
  '--driver-java-options': "the driver is a Node process: NODE_OPTIONS='...' sluice driver (or sluice run)",
  '--driver-class-path': "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  '--driver-library-path': "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  '--class': "a job is a module: give its file, whose default export runs",
  '--conf':
    "'sluice run', 'sluice submit', 'sluice driver' and 'sluice shell' take --conf KEY=VALUE for the Spark properties each takes in its properties file (README: Configuration); other settings are the commands' options ('sluice <command> --help') and the StreamingContext's options (new StreamingContext(sc, batch, options))",
  '--jars': "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  '--packages': "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  '--repositories': "the job file is bundled with its npm dependencies: 'npm install' them (from your npm registry) in the job's project",
  '--exclude-packages': "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  '--py-files': "a job is one TypeScript or JavaScript file bundled with the modules it imports: import them from the job file",
  '--files':
    "nothing is copied to the workers: a job reads its files by path (a relative path resolves against the directory 'sluice submit' ran in), so put them where the driver and the workers see them (a shared disk) or in S3",
  '--archives': "nothing is copied to the workers: put the files where the driver and the workers see them (a shared disk) or in S3",
  '--verbose': "'--log-level debug' on 'sluice run' (and on 'sluice driver' and 'sluice worker') logs what each step does",
  '-v': "'--log-level debug' on 'sluice run' (and on 'sluice driver' and 'sluice worker') logs what each step does",
  '--kill': "'sluice stop JOB --driver HOST:PORT' (JOB as 'sluice submit' and 'sluice jobs' print it)",
  '--status': "'sluice jobs --driver HOST:PORT' lists every job with its state",
  '--version': "'sluice --version' (or 'sluice -V') prints the version of sluice",
  '--queue': 'there are no queues: a driver runs every job submitted to it on its workers',
  '--principal': "there is no Kerberos: the cluster secret ('--secret-file', $SLUICE_SECRET) admits a client, and '--tls-ca' verifies the driver",
  '--keytab': "there is no Kerberos: the cluster secret ('--secret-file', $SLUICE_SECRET) admits a client, and '--tls-ca' verifies the driver",
  '--proxy-user': "there is no Kerberos: the cluster secret ('--secret-file', $SLUICE_SECRET) admits a client, and '--tls-ca' verifies the driver",
};

/**
 * The standalone master's and worker's options (start-master.sh, start-worker.sh) that no
 * sluice command has under that name: the sluice driver's or worker's option instead.
 */
const SPARK_STANDALONE_OPTIONS: Readonly<Record<string, string>> = {
  '--host': "'--bind HOST' on 'sluice driver' and 'sluice worker' (a worker's '--advertise-host' names the host others reach it by)",
  '--ip': "'--bind HOST' on 'sluice driver' and 'sluice worker' (a worker's '--advertise-host' names the host others reach it by)",
  '-i': "'--bind HOST' on 'sluice driver' and 'sluice worker' (a worker's '--advertise-host' names the host others reach it by)",
  '-p': "'--port PORT' ('sluice driver': 7077 by default, as the master's; 'sluice worker': any free port)",
  '--webui-port':
    "'sluice driver --web-port PORT' (4040 by default, not the master's 8080: one UI serves the workers and every job, as the master's and the application's together); a worker has no web UI: the driver's lists the workers",
  '-c': "'--cores N' on 'sluice worker' (and 'sluice run')",
  '-m': "'--memory MEM' on 'sluice worker' ('2g', '1000m'; the memory it keeps blocks in before spilling)",
  '--work-dir': "'sluice worker --local-dir DIR' (scratch space for spilled blocks and bundles; a job's output is on its 'sluice submit')",
  '-d': "'sluice worker --local-dir DIR' (scratch space for spilled blocks and bundles; a job's output is on its 'sluice submit')",
};

/**
 * Settings a Spark Streaming user looks for on the command line that a job sets in its code, as
 * in Spark (found by user52: `sluice run --checkpoint DIR job.ts` printed commander's "unknown
 * option" above the command's whole help, which names no checkpoint).
 */
const SET_IN_THE_JOB: Readonly<Record<string, string>> = {
  '--checkpoint':
    "a streaming job sets its checkpoint directory in its code, as in Spark: ssc.checkpoint(dir), and StreamingContext.getOrCreate(sc, dir, create) to recover from it when run again (README: Recovery); pass the directory as a job argument after the job file ('sluice run job.ts ckpt'). A standing driver's registry of its jobs, relaunched when it restarts, is 'sluice driver --state-dir DIR'",
  '--checkpoint-dir':
    "a streaming job sets its checkpoint directory in its code, as in Spark: ssc.checkpoint(dir), and StreamingContext.getOrCreate(sc, dir, create) to recover from it when run again (README: Recovery); pass the directory as a job argument after the job file ('sluice run job.ts ckpt'). A standing driver's registry of its jobs, relaunched when it restarts, is 'sluice driver --state-dir DIR'",
};

/**
 * Options of `sluice submit` (to a standing driver) that `sluice run` has no use for, and what a
 * user of `sluice run` does instead. Its driver runs this one job and ends with it, so there is
 * no process left to restart a job that failed; `sluice run --supervise` got only "an option of
 * sluice submit" above the command's whole help (found by user63).
 */
const SUPERVISE_INSTEAD = (job: string): string =>
  `sluice run's driver runs this job alone and ends with it, so nothing is left to restart it. Instead, run a standing driver and submit the job to it supervised: 'sluice driver --port 7077 --state-dir DIR', 'sluice worker --driver 127.0.0.1:7077', then 'sluice submit --driver 127.0.0.1:7077 --supervise ${job}', the three with the same SLUICE_SECRET (README: A standing cluster, with the CLI; Driver restarts: --state-dir and --supervise); or restart sluice run from your shell: 'until sluice run ${job}; do sleep 2; done' (it exits non-zero when the job fails). A streaming job written with StreamingContext.getOrCreate resumes from its checkpoint either way (README: Recovery)`;
const NOT_ON_RUN: Readonly<Record<string, (job: string) => string>> = {
  '--supervise': SUPERVISE_INSTEAD,
  '--max-restarts': SUPERVISE_INSTEAD,
  '--supervise-backoff-ms': SUPERVISE_INSTEAD,
};

/** The job file among `sluice run`'s arguments (the first .ts/.js one after `run`), shell-quoted, or job.ts. */
function jobFileOf(argv: readonly string[]): string {
  const file = argv.slice(argv.indexOf('run') + 1).find((a) => !a.startsWith('-') && /\.[cm]?[jt]sx?$/.test(a)) ?? 'job.ts';
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/**
 * Commands a Spark (or container) user types that sluice has under another name, or not at all:
 * where a job's output, its state and the processes' logs are. Found by user62: `sluice logs JOB`
 * got commander's "unknown command 'logs' (Did you mean jobs?)", and a job's output is
 * `sluice attach`.
 */
const LOGS =
  "a job's output (what its program prints: console.log, its print()s) is 'sluice attach JOB --driver HOST:PORT' (the driver keeps its last 10,000 lines, then follows the live ones); a job's state, last error and last receiver error are in 'sluice jobs --driver HOST:PORT'; the driver's and each worker's own log is that process's stderr (JSON lines: redirect it to a file where you start 'sluice driver' and 'sluice worker')";
const OTHER_COMMANDS: Readonly<Record<string, string>> = {
  logs: LOGS,
  log: LOGS,
  kill: "'sluice stop JOB --driver HOST:PORT' (spark-submit --kill; --graceful to process what was received first)",
  status: "'sluice jobs --driver HOST:PORT' lists every job with its state (spark-submit --status)",
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
    const submit = SPARK_SUBMIT_OPTIONS[name];
    const spark = submit ?? SPARK_STANDALONE_OPTIONS[name];
    // spark-submit's own options are told as such even where another sluice command has one of
    // that name (`sluice shell --master local[N]`): `sluice run --master local` is a spark-submit habit.
    if ((owners.length === 0 || submit !== undefined) && spark !== undefined) {
      // --conf KEY=VALUE, --master URL, --num-executors N...: the Sluice setting or command for the value given.
      const argv = (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv;
      const given = name === '--conf' ? sparkConfInstead(argv) : sparkOptionValueInstead(argv, name);
      const whose = submit !== undefined ? "spark-submit's" : "Spark standalone's";
      // A --conf refusal names its fix: the command's whole help after it would scroll it off screen.
      if (name === '--conf') this.showHelpAfterError(false);
      this.error(`error: unknown option '${name}' (${whose}): ${spark}${given === undefined ? '' : `; ${given}`}.${name === '--conf' ? '\n' : ' '}See 'sluice ${this.parent === null ? '' : `${this.name()} `}--help'.`, {
        code: 'commander.unknownOption',
      });
    }
    const inTheJob = SET_IN_THE_JOB[name];
    if (owners.length === 0 && inTheJob !== undefined) {
      // The fix, not the command's whole help after it (which would scroll it off screen).
      this.showHelpAfterError(false);
      this.error(`error: unknown option '${name}': ${inTheJob}. See 'sluice ${this.parent === null ? '' : `${this.name()} `}--help'.`, { code: 'commander.unknownOption' });
    }
    if (owners.length === 0 || this.parent === null) {
      (Command.prototype as unknown as { unknownOption(this: Command, flag: string): void }).unknownOption.call(this, flag);
      return;
    }
    const onRun = this.name() === 'run' ? NOT_ON_RUN[name] : undefined;
    if (onRun !== undefined) {
      // What to do instead, not the command's whole help after it (which would scroll it off screen).
      this.showHelpAfterError(false);
      const argv = (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv;
      this.error(`error: sluice run does not take ${name} (an option of ${owners.join(', ')}): ${onRun(jobFileOf(argv))}. See 'sluice run --help'.`, { code: 'commander.unknownOption' });
    }
    const why = WHY_NOT[name] ? `: ${WHY_NOT[name]}` : '';
    this.error(`error: sluice ${this.name()} does not take ${name} (an option of ${owners.join(', ')})${why}. See 'sluice ${this.name()} --help'.`, {
      code: 'commander.unknownOption',
    });
  }
  /** Called by commander's parser for a command it does not know: `sluice logs` says where the logs are. */
  unknownCommand(): void {
    const name = this.args[0];
    const instead = this.parent === null && name !== undefined && Object.hasOwn(OTHER_COMMANDS, name) ? OTHER_COMMANDS[name] : undefined;
    if (instead === undefined) {
      (Command.prototype as unknown as { unknownCommand(this: Command): void }).unknownCommand.call(this);
      return;
    }
    // The way, not the whole help after it (which would scroll it off screen).
    this.showHelpAfterError(false);
    this.error(`error: sluice has no command '${name}': ${instead}. See 'sluice --help'.`, { code: 'commander.unknownCommand' });
  }

  /**
   * Called by commander's parser for a required option not given. `sluice worker
   * spark://HOST:PORT` (start-worker.sh's form, the master's URL as an argument) is told to
   * give it as `--driver HOST:PORT`, rather than only that --driver is missing.
   */
  missingMandatoryOptionValue(option: Option): void {
    // An option of Spark's among the arguments (`sluice worker -c 2`) is what to tell first.
    const spark = this.args.find((a) => a.startsWith('-') && (SPARK_SUBMIT_OPTIONS[a.split('=')[0]] ?? SPARK_STANDALONE_OPTIONS[a.split('=')[0]]) !== undefined);
    if (spark !== undefined) this.unknownOption(spark);
    const given = this.args[0];
    if (option.long === '--driver' && given !== undefined && !given.startsWith('-')) {
      const url = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)/i.exec(given);
      const address = url && driverAddressProblem(url[1]!) === undefined ? url[1]! : driverAddressProblem(given) === undefined ? given : 'HOST:PORT';
      this.error(`error: sluice ${this.name()} takes the driver's address as an option, not an argument ('${given.slice(0, 100)}', as start-worker.sh takes the master's URL): sluice ${this.name()} --driver ${address}. See 'sluice ${this.name()} --help'.`, {
        code: 'commander.missingMandatoryOptionValue',
      });
    }
    (Command.prototype as unknown as { missingMandatoryOptionValue(this: Command, o: Option): void }).missingMandatoryOptionValue.call(this, option);
  }

}

function rootOf(c: Command): Command {
  let r = c;
  while (r.parent) r = r.parent;
  return r;
}
