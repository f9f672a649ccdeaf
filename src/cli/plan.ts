/** `catalyst plan`: the operators of each query, their exact AND counts, bytes and an estimated time. */
import type { Command } from "commander";
import type { InputSizes } from "../operators/compile.js";
import { compileSession } from "../operators/compileSession.js";
import { ParkedJoins } from "../operators/parkedJoins.js";
import { scheduleQueries } from "../operators/querySchedule.js";
import { describePairs } from "../operators/workerPairs.js";
import { studySortOrders } from "../operators/joinKeys.js";
import { InputError, UsageError } from "../share/errors.js";
import { rowBits } from "../share/schema.js";
import { findPartner, findTable, uploadedTables, type Study } from "../share/study.js";
import { action, collect } from "./command.js";
import { loadSecretKey, loadStudy } from "./files.js";
import { checkInbox, computeRoleOf } from "./inbox.js";

interface PlanOptions {
  study: string;
  query?: string[];
  rows?: string[];
  inbox?: string;
  key?: string;
  andRate: string;
  allInMpc?: boolean;
  workers: string;
}

/**
 * AND gates (and their equivalents in other traffic) per second between two compute processes over the SSH
 * tunnel: bench:pilot measured OT and circuit 16 % over the estimate at 4.8 M for the S = 1 pushdown plan, and
 * 22 % over it for the whole study all in MPC at S = 0.1.
 */
export const MEASURED_AND_RATE = 4_000_000;

/** Row counts from `--rows`. All in MPC, every partner that holds a table uploads it, pushdown partners too. */
function sizesFromFlags(study: Study, flags: string[], allInMpc: boolean): InputSizes {
  const sizes: InputSizes = {};
  for (const flag of flags) {
    const match = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(flag);
    if (!match) throw new UsageError(`--rows expects TABLE=N or TABLE=N1,N2,… (one count per uploading partner), got "${flag}"`);
    findTable(study, match[1]);
    const uploads = (name: string) => (allInMpc ? findPartner(study, name).tables : uploadedTables(study, name));
    const uploaders = study.partners.flatMap((candidate, index) => (uploads(candidate.name).includes(match[1]) ? [index] : []));
    const counts = match[2].split(",").map(Number);
    if (counts.length > 1) {
      // One count per partner that uploads the table, in study order: each upload is its own (sorted) run.
      if (counts.length !== uploaders.length) {
        throw new UsageError(`--rows ${match[1]} lists ${counts.length} counts, but ${uploaders.length} partners upload it${allInMpc ? " all in MPC" : ""} (${uploaders.map((index) => study.partners[index].name).join(", ") || "none"})`);
      }
      sizes[match[1]] = counts.map((rows, index) => ({ partner: uploaders[index], rows }));
    } else {
      // A total: attributed to the first partner that sends the table.
      sizes[match[1]] = [{ partner: Math.max(0, uploaders[0] ?? 0), rows: counts[0] }];
    }
  }
  return sizes;
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("explain each query's plan: operators, AND gates, bytes, rounds and an estimated time")
    .requiredOption("--study <file>", "study.json")
    .option("--query <name>", "only this query (repeatable)", collect)
    .option("--rows <table=n>", "hypothetical row count of a table, or one count per uploading partner as N1,N2,… (repeatable)", collect)
    .option("--inbox <dir>", "take row counts from this inbox (needs --key)")
    .option("--key <file>", "the compute party's key, to open the inbox")
    .option("--all-in-mpc", "plan as if no partner pushed down (then --rows counts every partner that holds a table, pushdown partners too)")
    .option("--and-rate <n>", "AND gates per second to estimate time with", String(MEASURED_AND_RATE))
    .option("--workers <count>", "also schedule the queries on this many worker pairs, as catalyst compute --workers does", "1")
    .action(action<PlanOptions>(async (options, reporter) => {
      const study = await loadStudy(options.study);
      let sizes: InputSizes = sizesFromFlags(study, options.rows ?? [], options.allInMpc === true);
      // Shares come sorted by each table's merge key (catalyst share does it); an inbox says what it holds.
      const sortedInputs: Record<string, readonly string[]> = studySortOrders(study);
      if (options.inbox) {
        if (!options.key) throw new UsageError("--inbox needs --key to open the shares");
        const key = await loadSecretKey(options.key);
        const entries = await checkInbox(study, computeRoleOf(study, key.publicKey, options.key), key.secretKey, options.inbox);
        const fromInbox: InputSizes = {};
        for (const entry of entries.filter((candidate) => candidate.status === "ok")) {
          (fromInbox[entry.table] ??= []).push({ partner: study.partners.findIndex((partner) => partner.name === entry.partner), rows: entry.rows ?? 0 });
        }
        for (const table of Object.keys(fromInbox)) {
          if (options.rows?.some((flag) => flag.startsWith(`${table}=`))) continue;
          const orders = entries.filter((entry) => entry.status === "ok" && entry.table === table).map((entry) => JSON.stringify(entry.sortedBy ?? null));
          if (new Set(orders).size === 1 && orders[0] !== "null" && entries.every((entry) => entry.table !== table || entry.status === "ok")) sortedInputs[table] = JSON.parse(orders[0]) as string[];
          else delete sortedInputs[table];
        }
        sizes = { ...fromInbox, ...sizes };
      }
      const rate = Number(options.andRate);
      const workers = Number(options.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers expects a whole number of at least 1, got "${options.workers}"`);
      const selected = options.query?.length ? options.query : study.queries.map((query) => query.name);
      const plans = [];
      const queries = selected.map((name) => {
        const query = study.queries.find((candidate) => candidate.name === name);
        if (!query) throw new InputError(`query ${name} is not in the study`);
        return query;
      });
      const allTables = [...study.tables, ...(study.pushdown?.tables ?? [])];
      // As compute runs them: together, a join several queries read computed once (sharedJoins.ts).
      const session = compileSession(study, queries, Object.fromEntries(allTables.map((table) => [table.name, sizes[table.name] ?? []])), { sortedInputs, pushdown: !options.allInMpc });
      const parked = new ParkedJoins();
      const loads = [];
      for (const [index, name] of selected.entries()) {
        const compiled = session[index];
        const missing = compiled.tables.filter((table) => !sizes[table]);
        if (missing.length > 0) throw new UsageError(`no row count for ${missing.join(", ")}: give --rows TABLE=N or --inbox DIR --key FILE`);
        const inputWires = compiled.tables.map((table) => sizes[table].reduce((sum, part) => sum + part.rows, 0) * rowBits(findTable(study, table).columns));
        const cost = await compiled.cost(inputWires, parked);
        loads.push(cost);
        // Share-wire tables go in without OT (shareWireInputs.ts).
        const inputBits = inputWires.reduce((sum, wires, index) => sum + (compiled.inputLayouts[index].shareWires ? 0 : wires), 0);
        plans.push({
          query: name, tables: compiled.tables, outputRows: compiled.outputRows, outputColumns: compiled.outputColumns.map((column) => column.name),
          andGates: cost.andGates, tableBytes: cost.tableBytes, otBytes: inputBits * 16, inputBits, interactionBytes: cost.interactionBytes,
          // Base OT, OT extension, the table stream and a two-step commit, plus the round trips of shuffle sorts.
          rounds: 4 + cost.rounds, estimatedSeconds: (cost.andGates + cost.interactionBytes / 32) / rate + inputBits / 10_000_000, operators: cost.operators,
        });
      }
      // Each pair at the full rate: a pair keeps about one core busy on each party.
      const schedule = scheduleQueries(loads, workers);
      const pairs = { workers, queries: schedule.pairs.map((indices) => indices.map((index) => selected[index])), estimatedSeconds: schedule.spanAndGates / rate };
      reporter.result({ study: study.id, andRate: rate, queries: plans, ...(workers > 1 ? { pairs } : {}) });
      for (const plan of plans) {
        const interaction = plan.interactionBytes > 0 ? ` + ${(plan.interactionBytes / 1e6).toFixed(1)} MB of shuffles and revealed comparisons` : "";
        reporter.line(reporter.style.bold(`${plan.query}`) + `: ${plan.andGates.toLocaleString("en-US")} AND gates, ${(plan.tableBytes / 1e6).toFixed(1)} MB of tables + ${(plan.otBytes / 1e6).toFixed(1)} MB of OT for ${plan.inputBits.toLocaleString("en-US")} input bits${interaction}, ${plan.rounds} rounds, about ${plan.estimatedSeconds.toFixed(1)} s at ${(rate / 1e6).toFixed(1)} M AND/s`);
        for (const operator of plan.operators) {
          reporter.line(`  ${"  ".repeat(operator.depth)}${operator.operator}  [${operator.lanes} lanes]  ${operator.andGates.toLocaleString("en-US")} ANDs`);
        }
        reporter.line(`  → ${plan.outputRows} output rows (released and dummy): ${plan.outputColumns.join(", ")}`);
      }
      if (workers > 1) {
        reporter.line(`on ${workers} worker pairs (a core per pair on each party): ${describePairs(pairs.queries)}; the last ends after about ${pairs.estimatedSeconds.toFixed(1)} s of ANDs at ${(rate / 1e6).toFixed(1)} M AND/s, against ${(loads.reduce((sum, load) => sum + load.andGates, 0) / rate).toFixed(1)} s on one`);
      }
    }));
}
