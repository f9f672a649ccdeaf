/**
 * The queries of one compute session compiled together, in the order they run, so that a join several of
 * them read is computed once and taken up by the others (sharedJoins.ts).
 */
import type { Query, Study } from "../share/study.js";
import { compileQuery, type CompiledQuery, type CompileOptions, type InputSizes } from "./compile.js";
import { planSharedJoins } from "./sharedJoins.js";

export function compileSession(study: Study, queries: readonly Query[], sizes: InputSizes, options: Omit<CompileOptions, "sharedJoins"> = {}): CompiledQuery[] {
  const alone = queries.map((query) => compileQuery(study, query, sizes, options));
  const shared = planSharedJoins(alone.map((compiled) => compiled.plan));
  return alone.map((compiled, index) => {
    const sharedJoins = shared[index];
    return sharedJoins.park.size + sharedJoins.takeUp.size === 0 ? compiled : compileQuery(study, queries[index], sizes, { ...options, sharedJoins });
  });
}
