/**
 * Spark's own sentence after Sluice's message, for a program (or a reader of Spark's docs and
 * answers) that looks for it: ` (Spark: "Number of partitions (0) must be positive.")` when
 * `applies` (the bad value is one Spark's require could see: a whole number for a Scala Int),
 * '' otherwise (2.5 or '2' cannot reach Spark's check, so Sluice's words alone describe it).
 */
export function sparkWords(applies: boolean, sentence: string): string {
  return applies ? ` (Spark: "${sentence}")` : '';
}
