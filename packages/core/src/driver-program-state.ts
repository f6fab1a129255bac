import { closeCaptureSession, shipGlobals } from './closure/capture-closure.js';
import { setRecordClassScope } from './codec/record-classes.js';
import { setJobWorkingDirectory } from './job-working-directory.js';
import { StreamingContext } from './streaming/streaming-context.js';
import { forgetUnstartedContexts } from './streaming/unstarted-contexts.js';

/**
 * What core keeps in a driver-program thread for the job it runs, beside the job's own
 * module instance: the job's working directory, the bundle's record classes, the
 * closure-capture inspector session, the StreamingContexts the program made. A thread the
 * driver keeps for a later job of the same bundle (SpareJobThreads) asks here whether its
 * job left one running (`driverProgramLeftover`), and resets the rest before the next job
 * (`resetDriverProgramState`). Everything else core holds per job lives in the job's
 * SluiceContext and StreamingContext objects, which the next job does not see.
 *
 * Threading: the driver-program thread, between two jobs.
 */

/** What of the job that ran in this thread is still running in core (a StreamingContext not stopped), or undefined. */
export function driverProgramLeftover(): string | undefined {
  const active = StreamingContext.getActive();
  return active === undefined ? undefined : `the job left the StreamingContext created at ${active.createdAt} running`;
}

/** Forget the job that ran in this thread: its working directory, record classes, inspector session, shipped globals and StreamingContexts. */
export function resetDriverProgramState(): void {
  setJobWorkingDirectory(undefined);
  shipGlobals(undefined);
  setRecordClassScope(undefined);
  closeCaptureSession();
  forgetUnstartedContexts();
}
