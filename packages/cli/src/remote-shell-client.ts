/**
 * `sluice shell --driver HOST:PORT`: the shell's program (shell-program.ts) submitted to a
 * standing driver as an interactive job (JobHeader.interactive), its console carried over the
 * one SubmitJob stream both ways: the terminal's input as ConsoleInput requests after `start`,
 * what the REPL writes back as JobEvent.console. Unlike `submitJob`, a broken stream is not
 * attached again: the driver stops an interactive job whose client is gone, so the command
 * ends, saying what became of the job (lostShell). Threading: the main thread.
 */
import * as grpc from '@grpc/grpc-js';
import { SluiceError, chunks, secretMetadata, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { FromShellProgram, ToShellProgram } from './shell-program.js';
import { callError, driverClient, listJobsNoted, waitReady, type JobOutcome } from './submit-client.js';

export interface RemoteShellOptions {
  readonly name: string;
  /** The program's arguments after the console's name (ShellTerminal.programArgs). */
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly onJobId: (id: string) => void;
  /** A message of the program's console (ShellTerminal.receive). */
  readonly onConsole: (m: FromShellProgram) => void;
  /** A line the program printed outside its console (its thread's stdout or stderr). */
  readonly onOutput: (line: string, stderr: boolean) => void;
}

export interface RemoteShell {
  /** Pass a message to the program (ShellTerminal's `remote`). */
  send(m: ToShellProgram): void;
  /** Resolves once the job ended (or the stream broke: then rejects, saying so). */
  readonly outcome: Promise<JobOutcome>;
}

/** A ToShellProgram message as a SubmitJob request. */
function consoleInput(m: ToShellProgram): wire.SubmitJobRequest {
  switch (m.type) {
    case 'in':
      return { console_input: { data: m.data } };
    case 'end':
      return { console_input: { end: true } };
    case 'interrupt':
      return { console_input: { interrupt: true } };
    case 'resize':
      return { console_input: { columns: m.columns } };
  }
}

/** A JobEvent.console as the program's message (undefined: an empty one). */
function consoleOutput(c: wire.ConsoleOutput__Output): FromShellProgram | undefined {
  if (c.kind === 'data') return { type: 'out', data: c.data ?? '' };
  if (c.kind === 'ready') return { type: 'ready' };
  if (c.kind === 'exit') return { type: 'exit' };
  return undefined;
}

export async function openRemoteShell(address: string, security: SecurityConfig, bundle: { readonly code: Buffer; readonly sourceMap: string; readonly sha256: string }, opts: RemoteShellOptions): Promise<RemoteShell> {
  const client = driverClient(address, security);
  try {
    await waitReady(client, address, 5000);
  } catch (err) {
    client.close();
    throw err;
  }
  const call = client.SubmitJob(secretMetadata(security.secret));
  let jobId: string | undefined;
  const outcome = new Promise<JobOutcome>((resolve, reject) => {
    let settled = false;
    /** Set once the stream broke and the driver is being asked what became of the job. */
    let probing = false;
    const settle = (o: JobOutcome | Error): void => {
      if (settled) return;
      settled = true;
      client.close();
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    call.on('data', (e: wire.JobEvent__Output) => {
      if (e.event === 'job_id' && e.job_id) {
        jobId = e.job_id;
        opts.onJobId(e.job_id);
      } else if (e.event === 'console' && e.console) {
        const m = consoleOutput(e.console);
        if (m) opts.onConsole(m);
      } else if (e.event === 'output' && e.output !== undefined) opts.onOutput(e.output, e.output_stderr === true);
      else if (e.event === 'failure' && e.failure) settle({ jobId, ok: false, failure: e.failure });
      else if (e.event === 'done') settle({ jobId, ok: true });
      else if (e.event === 'stopped') settle({ jobId, ok: true, stopped: e.stopped === 'graceful' ? 'graceful' : 'now' });
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (jobId === undefined) return settle(callError(err, address));
      if (settled || probing) return;
      probing = true;
      void lostShell(address, security, jobId, err.details || err.message, err).then(settle);
    });
    call.on('end', () => {
      if (settled || probing) return;
      // Ended without the job's end (a driver killed as it wrote): what became of the job?
      if (jobId === undefined) settle(new SluiceError('SLUICE_UNREACHABLE', `the driver at ${address} ended the shell's stream before the job started; see \`sluice jobs --driver ${address}\``));
      else {
        probing = true;
        void lostShell(address, security, jobId, 'the driver ended it before the job ended').then(settle);
      }
    });
  });
  call.write({ header: { name: opts.name, bundle_sha256: bundle.sha256, bundle_size: bundle.code.length, args: [...opts.args], working_dir: opts.workingDir, interactive: true } });
  for (const c of chunks(bundle.code)) call.write({ bundle_chunk: c });
  for (const c of chunks(Buffer.from(bundle.sourceMap, 'utf8'))) call.write({ source_map_chunk: c });
  call.write({ start: true });
  return {
    send(m: ToShellProgram): void {
      if (call.writable) call.write(consoleInput(m));
    },
    outcome,
  };
}

/**
 * The error that ends the command when the shell's stream broke after its job started: what
 * became of the job, found by asking the driver again (a broken stream alone does not say
 * whether the driver died, was restarted, or only the connection dropped). The shell is not
 * attached again: its REPL's state lived in the job, on the driver.
 */
async function lostShell(address: string, security: SecurityConfig, jobId: string, how: string, err?: grpc.ServiceError): Promise<SluiceError> {
  const lost = `lost the shell's stream from the driver at ${address} (${how})`;
  const again = `start \`sluice shell --driver ${address}\` again`;
  let jobs: wire.JobInfo__Output[];
  try {
    jobs = (await listJobsNoted(address, security)).jobs;
  } catch (probe) {
    // No answer does not tell a dead driver from one out of reach (a network cut, a process
    // paused past the stream's keepalive): the job is gone either way, as its stream is.
    return new SluiceError(
      'SLUICE_UNREACHABLE',
      `${lost}, and the driver does not answer either (${(probe as Error).message}): it was stopped or died, or it is out of reach from here (a network cut, a paused process). ` +
        `Either way the shell's job ${jobId} is gone, and what was defined in it: a driver stops a shell's job once its stream is lost, and a driver started again does not relaunch one (its input was this terminal). ` +
        `\`sluice jobs --driver ${address}\` tells whether the driver runs; ${again} once it answers`,
      { cause: err },
    );
  }
  const job = jobs.find((j) => j.job_id === jobId);
  if (job === undefined) {
    return new SluiceError(
      'SLUICE_UNREACHABLE',
      `${lost}: the driver was restarted, and the new one has no job ${jobId}: a restarted driver does not relaunch a shell's job (its input was this terminal), so what was defined in it is gone: ${again}`,
      { cause: err },
    );
  }
  // The driver answered and has the job: only the connection dropped. The shell is not attached
  // again (the driver stops a shell's job once its stream is gone: nothing could type at it).
  const what =
    job.state === 'running' ? `The driver stops the shell's job ${jobId} as it sees the stream gone` : job.state === 'stopped' ? `The driver stopped the shell's job ${jobId}, its stream gone` : `The shell's job ${jobId} ended (${job.state})`;
  return new SluiceError('SLUICE_UNREACHABLE', `${lost}, though the driver is up (it answered): the connection dropped. ${what}, so what was defined in it is gone: ${again}`, { cause: err });
}

/**
 * The command's side of `sluice shell --driver`: the terminal (ShellTerminal, stdin and stdout)
 * wired to the shell's job on the driver at `address`; resolves with the job's outcome once it
 * ended (`.exit`, Ctrl-D, the end of piped input). SIGINT is Ctrl-C (cancels the running
 * action); SIGTERM ends the command, and with it the job (the driver stops it: its client is gone).
 */
export async function runRemoteShell(address: string, security: SecurityConfig): Promise<JobOutcome> {
  const { shellBundle } = await import('./shell-program.js');
  const { ShellTerminal } = await import('./shell-terminal.js');
  let shell: RemoteShell | undefined;
  const term = new ShellTerminal(process.stdin, process.stdout, () => undefined, (m) => shell?.send(m));
  const onInterrupt = (): void => term.interrupt();
  const onTerminate = (): void => {
    term.close();
    process.exit(143);
  };
  process.on('SIGINT', onInterrupt).on('SIGTERM', onTerminate);
  try {
    const bundle = shellBundle();
    shell = await openRemoteShell(address, security, bundle, {
      name: bundle.name,
      args: term.programArgs(),
      workingDir: process.cwd(),
      onJobId: (id) => {
        // As spark-shell greets: where `sc` runs, and how to find the job in the driver's web UI.
        process.stdout.write(`Sluice context available as 'sc' (driver = ${address}, job id = ${id}: the driver's web UI and \`sluice jobs\` show it as ${bundle.name}); the API as 'sluice'.\n`);
        process.stdout.write('Actions return Promises: the shell shows their values (rdd.count()); await one to keep it (const n = await rdd.count()). Type .help for help, .exit or Ctrl-D to leave.\n');
      },
      onConsole: (m) => term.receive(m),
      onOutput: (line, stderr) => (stderr ? process.stderr : process.stdout).write(line + '\n'),
    });
    return await shell.outcome;
  } finally {
    term.close();
    process.removeListener('SIGINT', onInterrupt).removeListener('SIGTERM', onTerminate);
  }
}
