import { NotSerializableError, creationSiteText, type LineageGraph } from '@sluice/core/internal';

/** Whether `err` is the structured clone's refusal of a value (a function, a symbol, a WeakMap, ...). */
export function isDataCloneError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'DataCloneError';
}

/** Whether `value` survives the structured clone a job's lineage goes through. */
function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The error of an action whose job cannot be sent to the driver's scheduler, as Spark's
 * TaskSetManager fails a task it cannot serialize ("Failed to serialize task 0, not attempting to
 * retry it. Exception during serialization: java.io.NotSerializableException", RDDSuite "task
 * serialization exception should not hang scheduler"): the job is not run, the context goes on.
 * Where it was the elements given to sc.parallelize (the usual case: a function or symbol among
 * them), the message names that RDD's creation site and partition. Searched only on failure.
 */
export function unsendableJob(graph: LineageGraph, err: unknown): NotSerializableError {
  const why = (err as Error).message;
  let where = 'the job (its RDDs\' data or the action\'s values)';
  for (const node of Object.values(graph.nodes)) {
    if (node.op.kind !== 'parallelize') continue;
    const bad = node.op.slices.findIndex((s) => !cloneable(s));
    if (bad < 0) continue;
    const site = creationSiteText(graph.creationSitesToFormat?.get(node.id));
    where = `partition ${bad} of RDD ${node.id}${site === undefined ? '' : ` (${site})`}`;
    break;
  }
  return new NotSerializableError(
    `Job aborted due to stage failure: Failed to serialize task, not attempting to retry it (Spark's words): ${where} holds a value that cannot be sent to workers (${why}). ` +
      'Parallelize plain data (numbers, strings, booleans, null, bigints, arrays, plain objects, Maps, Sets, Dates, typed arrays, instances of top-level classes); make functions, symbols and handles on the workers instead (in map or mapPartitions)',
    { cause: err },
  );
}
