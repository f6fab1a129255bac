import { notProvided } from '../util/not-provided.js';

const HADOOP = "Hadoop's OutputFormats and SequenceFiles need the JVM's Hadoop library, which Sluice (Node) has not";
const SAVE_INSTEAD = 'save with rdd.saveAsTextFile(dir[, codec]) or rdd.saveAsObjectFile(dir) (read back by sc.textFile or sc.objectFile), or write each partition to a store with rdd.foreachPartition and its client (see the connectors)';

/**
 * Spark's RDD methods that need Hadoop or the JVM, refused by name naming what to use instead
 * (see notProvided). Mixed into RDD (see rdd.ts).
 */
export class NotProvidedRDDFunctions {
  /** @deprecated Not provided (Hadoop SequenceFiles): use saveAsObjectFile or saveAsTextFile. */
  saveAsSequenceFile(...args: never[]): never {
    void args;
    return notProvided('rdd.saveAsSequenceFile', HADOOP, SAVE_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFile or saveAsObjectFile. */
  saveAsHadoopFile(...args: never[]): never {
    void args;
    return notProvided('rdd.saveAsHadoopFile', HADOOP, SAVE_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFile or saveAsObjectFile. */
  saveAsNewAPIHadoopFile(...args: never[]): never {
    void args;
    return notProvided('rdd.saveAsNewAPIHadoopFile', HADOOP, SAVE_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFile or saveAsObjectFile, or foreachPartition with a client. */
  saveAsHadoopDataset(...args: never[]): never {
    void args;
    return notProvided('rdd.saveAsHadoopDataset', HADOOP, SAVE_INSTEAD);
  }

  /** @deprecated Not provided (Hadoop OutputFormats): use saveAsTextFile or saveAsObjectFile, or foreachPartition with a client. */
  saveAsNewAPIHadoopDataset(...args: never[]): never {
    void args;
    return notProvided('rdd.saveAsNewAPIHadoopDataset', HADOOP, SAVE_INSTEAD);
  }

  /** @deprecated Not provided: Spark's barrier execution mode (a stage's tasks launched together, BarrierTaskContext). */
  barrier(...args: never[]): never {
    void args;
    return notProvided(
      'rdd.barrier()',
      "Spark's barrier execution mode (a stage's tasks launched all together, with BarrierTaskContext's barrier() and allGather()) is not in Sluice's scheduler, which launches and retries each task on its own",
      'run work that needs every partition at once on one task (rdd.coalesce(1).mapPartitions(...)) or on the driver after collect()',
    );
  }

  /** @deprecated Not provided: Spark's stage-level resource profiles. */
  withResources(...args: never[]): never {
    void args;
    return notProvided('rdd.withResources', "Spark's stage-level scheduling (ResourceProfile: executor and task resources per stage) is not in Sluice", "each task takes one of a worker's slots (sluice worker --cores N sets them)");
  }
}
