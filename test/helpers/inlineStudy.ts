/** A study made in memory for operator tests: TABLES.sql text, partners, fresh keys nobody keeps. */
import { x25519 } from "@noble/curves/ed25519.js";
import { createStudy, type Query, type Study } from "../../src/share/study.js";
import { parseTablesSql } from "../../src/share/tablesSql.js";

const freshPublicKey = () => x25519.getPublicKey(x25519.utils.randomSecretKey());

export function inlineStudy(options: { name: string; tablesSql: string; partners: Array<{ name: string; tables: string[] }>; minCellCount: number; queries?: Query[] }): Study {
  return createStudy({
    name: options.name, minCellCount: options.minCellCount, tables: parseTablesSql(options.tablesSql), partners: options.partners,
    garbler: { name: "g", publicKey: freshPublicKey() }, evaluator: { name: "e", publicKey: freshPublicKey() }, investigator: { publicKey: freshPublicKey() },
    queries: options.queries ?? [],
  });
}
