/**
 * The fetch failure of a map output whose spilled files on its worker could not be read (a
 * file cut short or removed from the worker's local directory after its map task succeeded,
 * or failing to read): which map output, shuffle and worker, what is wrong with which file
 * (`unreadable`, as the worker's resolver tells it), that the map output is computed again,
 * and where to look if it recurs. Spark's reader fails such a fetch with the block's
 * FileNotFoundException or EOFException inside its FetchFailedException.
 */
export function unreadableMapOutputMessage(mapPartition: number, shuffleId: number, workerId: string, unreadable: string): string {
  return `map output ${mapPartition} of shuffle ${shuffleId} on worker ${workerId} cannot be read from that worker's local directory: ${unreadable}; the map output is computed again. If this recurs, check worker ${workerId}'s --local-dir and its disk (dmesg, SMART), and that nothing else cleans or truncates files there`;
}
