/**
 * A study from its inputs, as `catalyst study init` and the portal's study page both make it: the tables
 * parsed from TABLES.sql, every query compiled against them (so an invalid one is refused, at its token,
 * before the study exists), and the pushdown partners' partial tables derived.
 */
import { createStudy, type ComputeParty, type Partner, type PushdownPartner, type Study } from "../share/study.js";
import { parseTablesSql } from "../share/tablesSql.js";
import { derivePushedTables } from "./pushdown.js";
import { bindQuery } from "./sql/binder.js";
import { parseQuery } from "./sql/parser.js";

export interface StudyInputs {
  name: string;
  id?: string;
  /** TABLES.sql's text, and the file name its errors name. */
  tablesSql: { text: string; file: string };
  /** Each query's name, its SQL (trimmed) and the file name its errors name. */
  queries: Array<{ name: string; sql: string; file: string }>;
  partners: Partner[];
  garbler: ComputeParty;
  evaluator: ComputeParty;
  investigator: { publicKey: Uint8Array };
  minCellCount: number;
  pushdown?: PushdownPartner[];
}

export function defineStudy(inputs: StudyInputs): Study {
  const definition = {
    id: inputs.id,
    name: inputs.name,
    minCellCount: inputs.minCellCount,
    tables: parseTablesSql(inputs.tablesSql.text, inputs.tablesSql.file),
    partners: inputs.partners,
    garbler: inputs.garbler,
    evaluator: inputs.evaluator,
    investigator: { publicKey: inputs.investigator.publicKey },
    queries: inputs.queries.map(({ name, sql }) => ({ name, sql })),
  };
  const created = createStudy(definition);
  for (const query of inputs.queries) bindQuery(parseQuery(query.sql, query.file), created, undefined, query.file);
  if (!inputs.pushdown?.length) return created;
  return createStudy({ ...definition, pushdown: { partners: inputs.pushdown, tables: derivePushedTables(created, inputs.pushdown) } });
}
