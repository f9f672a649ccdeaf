/**
 * A study query compiled for given public sizes: the typed plan from the binder, run operator by operator
 * on any backend (plaintext for verify, counting for cost, garbler and evaluator for MPC).
 */
import type { Backend } from "../circuit/backend.js";
import { CountingBackend } from "../circuit/countingBackend.js";
import { overlaps, spansItsStorage, type WireVector } from "../circuit/wireVector.js";
import { InputError } from "../share/errors.js";
import type { Column } from "../share/schema.js";
import { findTable, type Query, type Study } from "../share/study.js";
import { evaluate, holds } from "./expressions.js";
import { fuseAggregates, isFusedAggregate, narrowRowValue } from "./fuseAggregates.js";
import { groupAggregateOf } from "./groupAggregate.js";
import { groupSources, orderCovers } from "./groupSources.js";
import { joinRelations } from "./join.js";
import { keySource } from "./sql/keyUniqueness.js";
import { clearNullKeyColumns } from "./orderKey.js";
import { compact } from "./compaction.js";
import { cheaperSort, compactZeroedRows, hideDummyPositions, sortRows, type SortMethod } from "./sortChoice.js";
import { shareWireInputs } from "./shareWireInputs.js";
import { shareWiresOfRelation } from "./shareWireColumns.js";
import type { DistinctKeySources } from "./shuffleSort.js";
import { discloseRows } from "./disclosure.js";
import { layoutOutput, outputColumns } from "./output.js";
import { deadColumn, gatherRelation, scanInput, typeBits, unionAll, type Relation } from "./relation.js";
import { liveColumns } from "./liveColumns.js";
import { isPartialMerge, tablesRead, widthRows, withPushdown } from "./pushdown.js";
import { bindQuery, SITE_COLUMN, UNKNOWN_TABLE_ROWS, type BoundExpression, type PlanNode } from "./sql/binder.js";
import type { SqlType } from "./sql/types.js";
import { parseQuery } from "./sql/parser.js";
import { columnOrWidening, eachNode, lastReaders } from "./planWalk.js";
import { UnparkedJoinError, type ParkedJoins } from "./parkedJoins.js";
import { joinRoles, type SharedJoins } from "./sharedJoins.js";
import { HandOver } from "./handOver.js";
import { inputLayoutOf, type InputLayout, type InputPlanes } from "./inputPlanes.js";
import { collectGarbage } from "./garbageCollection.js";

/** Public sizes: each table's rows, per contributing partner in study order. */
export type InputSizes = Record<string, Array<{ partner: number; rows: number }>>;

/** What runs a query: its circuit over the input tables, and the layout of what it outputs. */
export interface QueryCircuit {
  outputColumns: Column[];
  /** Whether the output rows come in the query's order (ORDER BY); without one they come shuffled. */
  outputOrdered: boolean;
  /** Output rows, released and dummy: a public number. */
  outputRows: number;
  /**
   * Input wires per table (its share's row layout as bit-planes) → output wires in the result's row layout.
   * The circuit takes the inputs: it empties the array, so that each table's labels can go once scanned.
   */
  circuit(backend: Backend, inputs: WireVector[]): Promise<WireVector>;
  /**
   * The same output as consecutive parts, never concatenated: the compute parties read each part's shares on
   * its own, so the widened output layout (counts as INT64) is never held as labels.
   */
  circuitParts(backend: Backend, inputs: TableInput[], trace?: OperatorTrace, parked?: ParkedJoins): Promise<WireVector[]>;
  /** Per input table, which runs of its planes the compute parties make labels for (see inputPlanes.ts). */
  inputLayouts: InputLayout[];
}

/**
 * One input table's labels: one vector of its whole row layout, which stays the caller's (never written),
 * or its runs of planes (inputLayouts), which the circuit takes: the last scan of the table owns them.
 */
export type TableInput = WireVector | InputPlanes[];

export interface CompiledQuery extends QueryCircuit {
  query: string;
  /** The input tables, in the order the circuit takes their wires. */
  tables: string[];
  plan: PlanNode;
  /**
   * Exact cost from the counting backend, in total and per operator (each without its inputs' cost). With
   * shared joins, `parked` is the session's store of counted (empty) shares: the queries' costs in run order.
   */
  cost(inputWires: number[], parked?: ParkedJoins): Promise<PlanCost>;
}

/** One operator as it ran: what it spent itself (its inputs' operators excluded), and the peak so far. */
export interface OperatorRun extends OperatorCost {
  seconds: number;
  /** The process's peak RSS when the operator finished: the operator where it grows is the one that set it. */
  peakRssBytes: number;
  /** Bytes of ArrayBuffers alive in this thread then (labels, mostly): what the rows really hold, against RSS. */
  arrayBufferBytes: number;
}

/** Hears each operator of a run as it finishes, inputs first (post-order). */
export interface OperatorTrace {
  /** The backend's AND gates so far. */
  andGates: () => number;
  onOperator: (run: OperatorRun) => void;
}

export interface OperatorCost {
  operator: string;
  depth: number;
  lanes: number;
  andGates: number;
}

export interface PlanCost {
  andGates: number;
  tableBytes: number;
  /** Bytes both ways besides the tables and the input OT (shuffles, the OT re-making their wires, revealed bits). */
  interactionBytes: number;
  /** Round trips the circuit waits for mid-stream. */
  rounds: number;
  operators: OperatorCost[];
  /** Joins this query parks for later readers (sharedJoins.ts), with the ANDs spent before each is parked. */
  joinsParked: Array<{ text: string; afterAndGates: number }>;
  /** How many times this query takes up each join parked before it (or earlier in itself). */
  joinsTakenUp: Record<string, number>;
}


function describeNode(node: PlanNode, joinMerges = false, runs?: ReadonlyArray<{ sorted: boolean }>, method?: SortMethod, tiesByPartner = false): string {
  const sortOf = (what: string) => {
    if (method === "shuffle") return `(shuffle sort${tiesByPartner ? ", ties broken by partner" : ""} + segmented scan)`;
    if (!runs) return `(${what} + segmented scan)`;
    const [sorted, unsorted] = [runs.filter((run) => run.sorted).length, runs.filter((run) => !run.sorted).length];
    return `(merge of ${sorted} sorted runs${unsorted > 0 ? ` and ${unsorted} sorted here` : ""} + segmented scan)`;
  };
  switch (node.kind) {
    case "scan": return `scan ${node.table}`;
    case "union": return `union all of ${node.inputs.length}`;
    case "filter": return "filter";
    case "project": return isFusedAggregate(node) ? `per-row inputs of a group by fused into the outer one (no sort): ${node.columns.map((column) => column.name).join(", ")}` : `project ${node.columns.map((column) => column.name).join(", ")}`;
    case "join": return `${node.type} join on ${node.leftKeys.length} key${node.leftKeys.length > 1 ? "s" : ""} (${method === "shuffle" ? "shuffle sort" : joinMerges ? "merge of two sorted runs" : "sort"}, ${node.rows} lanes)`;
    case "aggregate": if (isPartialMerge(node)) return `group by ${node.groupBy.length} key${node.groupBy.length === 1 ? "" : "s"} merging pushdown partners' partial aggregates with the other partners' rows ${sortOf("sort")}`;
      return node.groupBy.length > 0 ? `group by ${node.groupBy.length} key${node.groupBy.length > 1 ? "s" : ""} ${sortOf("sort")}` : "aggregate (tree reduction)";
    case "sort": return `order by ${node.keys.length} key${node.keys.length > 1 ? "s" : ""}${method === "shuffle" ? " (shuffle sort)" : ""}`;
    case "limit": return `limit ${node.count} (compact)`;
  }
}

/**
 * The tables a query reads, known before any sizes are (to load the right shares): with pushdown, the
 * partials of pushdown partners and the rows of the others.
 */
export function queryTables(study: Study, query: Query, options: Pick<CompileOptions, "pushdown"> = {}): string[] {
  const plan = bindQuery(parseQuery(query.sql, `${query.name}.sql`), study, () => UNKNOWN_TABLE_ROWS, `${query.name}.sql`);
  return [...tablesRead(options.pushdown === false ? plan : withPushdown(study, query, plan, () => UNKNOWN_TABLE_ROWS))];
}

export interface CompileOptions {
  /** Fuse nested GROUP BYs (the default); off only to compare with the plan as bound. */
  fuseAggregates?: boolean;
  /**
   * Tables whose every partner upload is sorted by these columns (as `catalyst share` sorts by the table's
   * merge key): a join within sites on `_site` and exactly these columns merges instead of sorting.
   */
  sortedInputs?: Record<string, readonly string[]>;
  /**
   * Merge the partial aggregates of the study's pushdown partners (the default when it has any); off to run
   * the all-in-MPC plan over every partner's rows, as `catalyst verify` does.
   */
  pushdown?: boolean;
  /** Forces how every sort and the output's compaction run (tests, benchmarks); by default the cheaper way for the sizes. */
  sortMethod?: SortMethod;
  /** Joins this query shares with others of its session (sharedJoins.ts); the runs then need a ParkedJoins store. */
  sharedJoins?: SharedJoins;
}

export function compileQuery(study: Study, query: Query, sizes: InputSizes, options: CompileOptions = {}): CompiledQuery {
  const file = `${query.name}.sql`;
  const totalRows = (table: string) => (sizes[table] ?? []).reduce((sum, part) => sum + part.rows, 0);
  const pushdown = options.pushdown !== false && (study.pushdown?.tables ?? []).some((table) => table.query === query.name);
  // Pushdown partners' row counts are private: their public bounds size the integers instead.
  const bound = pushdown
    ? withPushdown(study, query, bindQuery(parseQuery(query.sql, file), study, widthRows(study, totalRows), file), totalRows)
    : bindQuery(parseQuery(query.sql, file), study, totalRows, file);
  const plan = options.fuseAggregates === false ? bound : fuseAggregates(bound);
  const roles = joinRoles(plan, options.sharedJoins);
  const takenUp = (node: PlanNode) => roles.get(node)?.role === "takeUp";
  // The tables a taken-up join reads are not scanned here: their labels are never made.
  const tables = [...tablesRead(plan, takenUp)];
  for (const table of tables) if (!sizes[table]) throw new InputError(`no sizes for table ${table}`, { file }, "invalid-query");
  // A parked join keeps what its other readers read, and so does what lies under it.
  const readElsewhere = new Map<PlanNode, boolean[]>();
  for (const [join, role] of roles) if (role.role === "park") readElsewhere.set(join, role.liveColumns);
  const live = liveColumns(plan, readElsewhere);
  // Decided before the layouts, which say which tables go in as share wires.
  const shareWires = shareWireInputs(plan, shufflesFirst);
  const inputLayouts = tables.map((table): InputLayout => ({ ...inputLayoutOf(findTable(study, table).columns), ...(shareWires.tables.has(table) ? { shareWires: true } : {}) }));
  const shareWireTotals = readOnlyByOutput(plan, shareWires.aggregates);
  return {
    query: query.name,
    tables,
    plan,
    outputColumns: outputColumns(plan.columns),
    outputOrdered: (plan.kind === "limit" ? plan.input : plan).kind === "sort",
    outputRows: plan.rows,
    inputLayouts,
    async cost(inputWires, parked) {
      const backend = new CountingBackend();
      const operators: OperatorCost[] = [];
      const total = () => backend.counts.and + backend.counts.andWithGarblerKnown;
      const joinsParked: PlanCost["joinsParked"] = [];
      const joinsTakenUp: PlanCost["joinsTakenUp"] = {};
      await execute(backend, inputWires.map((count) => backend.input(count)), parked, (operator, lanes, depth, own) => {
        operators.push({ operator, depth, lanes, andGates: own });
      }, total, (event, text) => {
        if (event === "park") joinsParked.push({ text, afterAndGates: total() });
        else joinsTakenUp[text] = (joinsTakenUp[text] ?? 0) + 1;
      });
      return {
        andGates: total(), tableBytes: backend.counts.tableBytes, interactionBytes: backend.counts.interactionBytes, rounds: backend.counts.rounds,
        operators: operators.reverse(), joinsParked, joinsTakenUp,
      };
    },
    circuit: async (backend, inputs) => backend.concat(await execute(backend, inputs)),
    circuitParts: (backend, inputs, trace, parked) => {
      if (!trace) return execute(backend, inputs, parked);
      // Post-order: the time since the previous operator finished is this one's own.
      let previous = performance.now();
      return execute(backend, inputs, parked, (operator, lanes, depth, andGates) => {
        const now = performance.now();
        trace.onOperator({ operator, depth, lanes, andGates, seconds: (now - previous) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024, arrayBufferBytes: process.memoryUsage().arrayBuffers });
        previous = now;
      }, trace.andGates);
    },
  };

  /**
   * Whether both sides of a join are uploads passed on unchanged (so every row is valid) whose parts come in
   * partner order, each sorted by the join key after `_site`: then the sides are two ascending runs.
   */
  function sidesSorted(join: Extract<PlanNode, { kind: "join" }>): boolean {
    return [keySource(join.left, join.leftKeys), keySource(join.right, join.rightKeys)].every((source) => {
      const order = source && options.sortedInputs?.[source.table];
      const parts = source ? sizes[source.table] ?? [] : [];
      return order !== undefined && source!.columns.length === order.length + 1 && source!.columns[0] === SITE_COLUMN
        && order.every((column, index) => source!.columns[index + 1] === column)
        && parts.every((part, index) => index === 0 || parts[index - 1].partner < part.partner);
    });
  }

  /**
   * The lanes a GROUP BY sorts, as consecutive runs: each partner's upload that reaches it through column
   * projections and UNION ALL only, sorted by (a prefix of) its order that equals the group key, is an
   * ascending run (all rows valid, so none moves for the valid bit); anything else is a run to sort. Undefined
   * when no run is sorted, for a plain sort.
   */
  function groupRuns(aggregate: Extract<PlanNode, { kind: "aggregate" }>): Array<{ lanes: number; sorted: boolean }> | undefined {
    const sources = groupSources(aggregate);
    if (!sources) return undefined;
    const runs = sources.flatMap((source) => {
      if (!("scan" in source)) return [{ lanes: source.rows, sorted: false }];
      const order = options.sortedInputs?.[source.scan.table];
      const sorted = order !== undefined && orderCovers(order, source.keyColumns);
      return (sizes[source.scan.table] ?? []).map((part) => ({ lanes: part.rows, sorted }));
    });
    if (runs.reduce((sum, run) => sum + run.lanes, 0) !== aggregate.input.rows || !runs.some((run) => run.sorted && run.lanes > 1)) return undefined;
    return runs;
  }

  /**
   * A source label per lane of a GROUP BY's input, when its key is distinct among each source's valid lanes:
   * every lane comes (through column projections and UNION ALL) from a pushdown partner's partial table, one
   * row per group of its key columns, and those are all in this key. Each partner's upload is a source. Every
   * lane is valid when every upload is sorted (`catalyst share` claims no order for padded partials).
   */
  function distinctKeySources(aggregate: Extract<PlanNode, { kind: "aggregate" }>): DistinctKeySources | undefined {
    const sources = groupSources(aggregate);
    if (!sources) return undefined;
    const labels = new Int32Array(aggregate.input.rows);
    let lane = 0, next = 0, everyLaneValid = true;
    for (const source of sources) {
      if (!("scan" in source)) return undefined;
      everyLaneValid &&= options.sortedInputs?.[source.scan.table] !== undefined;
      const partials = study.pushdown?.tables.find((table) => table.name === source.scan.table);
      if (!partials || !partials.columns.slice(0, partials.keyColumns).every((column) => source.keyColumns.includes(column.name))) return undefined;
      for (const part of sizes[source.scan.table] ?? []) {
        if (lane + part.rows > labels.length) return undefined;
        labels.fill(next++, lane, lane + part.rows);
        lane += part.rows;
      }
    }
    return lane === labels.length ? { sourceOfLane: labels, everyLaneValid } : undefined;
  }

  /**
   * Whether a GROUP BY would sort by shuffling, taking its rows' shares before any gate: its key needs no
   * masking, and the shuffle sort is the cheaper for the sizes (or is asked for). Widths here are the types'.
   */
  function shufflesFirst(aggregate: Extract<PlanNode, { kind: "aggregate" }>): boolean {
    if (options.sortMethod === "network" || aggregate.input.rows < 2) return false;
    const distinct = distinctKeySources(aggregate);
    if (distinct && !distinct.everyLaneValid) return false;
    if (options.sortMethod === "shuffle") return true;
    const keyBits = aggregate.groupBy.reduce((sum, key) => sum + typeBits(key.type), 0);
    const argumentBits = aggregate.aggregates.reduce((sum, entry) => sum + (entry.argument ? typeBits(entry.argument.type) + 1 : 0), 0);
    return cheaperSort(aggregate.input.rows, 1 + keyBits + argumentBits, keyBits + 1, groupRuns(aggregate), distinct) === "shuffle";
  }

  /** A table's input as runs of planes, checked against its public size and layout. */
  function inputPlanesOf(table: string, input: TableInput): InputPlanes[] {
    const layout = inputLayouts[tables.indexOf(table)];
    const runs = Array.isArray(input) ? input : [{ firstPlane: 0, wires: input }];
    const expected = Array.isArray(input) ? layout.runs : [{ first: 0, end: layout.planes }];
    if (runs.length !== expected.length || runs.some((run, index) => run.firstPlane !== expected[index].first || run.wires.length !== (expected[index].end - expected[index].first) * totalRows(table))) {
      throw new RangeError(`the input labels of ${table} do not match its ${totalRows(table)} rows of ${layout.planes} bits`);
    }
    return runs;
  }

  /**
   * Runs the plan; `observe` hears each operator's own AND count, inputs first (post-order), and `onSharedJoin`
   * each join parked or taken up.
   */
  async function execute(
    backend: Backend, inputs: TableInput[], parked?: ParkedJoins, observe?: (operator: string, lanes: number, depth: number, ownAndGates: number) => void, andGates?: () => number,
    onSharedJoin?: (event: "park" | "takeUp", text: string) => void,
  ): Promise<WireVector[]> {
    // execute takes the input wires (the array is emptied), so each table's labels can go once its last scan
    // has copied or taken them: they are a whole copy of the inputs, held otherwise for the whole query.
    const scans = new Map(tables.map((table, index) => [table, { taken: Array.isArray(inputs[index]), planes: inputPlanesOf(table, inputs[index]) }]));
    // Labels still to be scanned again, or the caller's: no operator may own them.
    const inputBuffers = new WeakSet<ArrayBufferLike>([...scans.values()].flatMap((input) => input.planes.map((run) => run.wires.data.buffer)));
    inputs.length = 0;
    const scansLeft = new Map<string, number>();
    eachNode(plan, (node) => {
      if (takenUp(node)) return false;
      if (node.kind === "scan") scansLeft.set(node.table, (scansLeft.get(node.table) ?? 0) + 1);
    });
    if (roles.size > 0 && !parked) throw new UnparkedJoinError("a query that shares a join with other queries ran without its session's parked joins");
    // What the operator being run has spent on its inputs so far, to subtract from its own total.
    let inputsCost = { value: 0 };
    // How each sorting operator sorted (the plan names it).
    const methods = new Map<PlanNode, SortMethod>();
    // A GROUP BY that reads share wires can only sort by shuffling.
    const sortOptions = (node: PlanNode) => ({ method: shareWires.aggregates.has(node) ? "shuffle" as const : options.sortMethod, onMethod: (method: SortMethod) => methods.set(node, method) });
    let depth = 0;
    const run = async (node: PlanNode): Promise<Relation> => {
      const before = andGates?.() ?? 0;
      const parentInputs = inputsCost;
      inputsCost = { value: 0 };
      depth++;
      const result = ownStorage(backend, await runNode(node), inputBuffers);
      depth--;
      // The columns this operator replaced are garbage now: free them before the next operator makes its own.
      collectGarbage(wiresOf(result));
      if (observe && andGates) {
        const spent = andGates() - before;
        const aggregate = node.kind === "aggregate" ? node : undefined;
        const asShares = node.kind === "scan" && shareWires.tables.has(node.table) ? " as share wires (no input OT)"
          : shareWires.unions.has(node) ? " as share wires (free: the GROUP BY's shuffle takes shares)" : "";
        const role = roles.get(node);
        const described = role?.role === "takeUp" ? `${(node as Extract<PlanNode, { kind: "join" }>).type} join computed earlier in the session, taken up from its shares (one OT per wire)`
          : describeNode(node, node.kind === "join" && sidesSorted(node), aggregate && groupRuns(aggregate), methods.get(node), aggregate && distinctKeySources(aggregate) !== undefined);
        const parkedFor = role?.role === "park" ? `, kept as shares to be taken up ${role.readers} time${role.readers === 1 ? "" : "s"} later` : "";
        observe(described + asShares + parkedFor, node.rows, depth, spent - inputsCost.value);
        parentInputs.value += spent;
      }
      inputsCost = parentInputs;
      return result;
    };
    // The projections a UNION ALL reads, through projections of plain columns (a select list over a fused GROUP
    // BY), which the union takes as they are and so pass the narrow values on.
    const unionInputs = new Set<PlanNode>();
    eachNode(plan, (node) => {
      if (node.kind !== "union") return;
      for (let input of node.inputs) {
        while (input.kind === "project" && input.expressions.every((expression) => columnOrWidening(expression) !== undefined)) input = input.input;
        if (input.kind === "project") unionInputs.add(input);
      }
    });
    /**
     * Under a UNION ALL, a row value that is a BOOL cast to an integer or an integer literal is made only as wide
     * as it needs: the union widens it as it copies, with views of its top plane. A fused GROUP BY's per-row
     * counts would otherwise stand as whole columns of zero planes (gigabytes at pilot scale). Undefined where
     * no expression of the projection narrows.
     */
    const narrowedExpressions = (node: PlanNode): BoundExpression[] | undefined => {
      if (node.kind !== "project" || !unionInputs.has(node)) return undefined;
      const narrowed = node.expressions.map(narrowRowValue);
      return narrowed.some((expression) => expression !== undefined) ? node.expressions.map((expression, index) => narrowed[index] ?? expression) : undefined;
    };
    /**
     * A UNION ALL's input. A projection of plain columns and integer widenings (how pushdown brings partials to
     * the merged types) is left to the union, which widens as it copies: the rows are copied once, not twice.
     */
    const unionInput = async (input: PlanNode): Promise<{ relation: HandOver<Relation>; types: SqlType[] }> => {
      const picks = input.kind === "project" ? input.expressions.map(columnOrWidening) : [];
      if (input.kind !== "project" || picks.some((pick) => pick === undefined)) {
        const relation = new HandOver(await run(input));
        return { relation, types: narrowedExpressions(input)?.map((expression) => expression.type) ?? input.columns.map((column) => column.type) };
      }
      const relation = await run(input.input);
      const columns = picks.map((pick) => relation.columns[pick!.index]);
      return { relation: new HandOver({ lanes: relation.lanes, valid: relation.valid, columns }), types: picks.map((pick) => pick!.type) };
    };
    const runNode = async (node: PlanNode): Promise<Relation> => {
      switch (node.kind) {
        case "scan": {
          const sitePerLane = sizes[node.table].flatMap((part) => new Array<number>(part.rows).fill(part.partner));
          const input = scans.get(node.table)!;
          scansLeft.set(node.table, scansLeft.get(node.table)! - 1);
          if (scansLeft.get(node.table) === 0) {
            scans.delete(node.table);
            // The last scan of runs the circuit took: its columns are those very vectors, kept without a copy.
            if (input.taken) for (const run of input.planes) inputBuffers.delete(run.wires.data.buffer);
          }
          return scanInput(backend, input.planes, findTable(study, node.table).columns, node.columns.map((column) => column.type), node.rows, sitePerLane, typeBits(node.columns[node.columns.length - 1].type));
        }
        case "union": {
          const parts = [];
          for (const input of node.inputs) parts.push(await unionInput(input));
          return unionAll(backend, parts, node.columns.map((column) => column.type), { asShareWires: shareWires.unions.has(node) });
        }
        case "filter": {
          const relation = await run(node.input);
          const predicate = await evaluate(backend, node.predicate, relation);
          return { ...relation, valid: await backend.and(relation.valid, await holds(backend, predicate)) };
        }
        case "project": {
          const relation = await run(node.input);
          const expressions = narrowedExpressions(node) ?? node.expressions;
          // Each input column goes once the last expression that reads it is made: a cast (a new vector) would
          // otherwise keep its input beside it until the whole projection is done, two copies of the rows.
          const lastReader = lastReaders(node.expressions);
          const columns = [];
          for (const [index, expression] of expressions.entries()) {
            columns.push(await evaluate(backend, expression, relation));
            let released = 0;
            for (const [column, last] of lastReader) {
              if (last !== index) continue;
              // A column passed on as it is (a plain reference) lives on in the new one: nothing is freed.
              const input = relation.columns[column].value.wires;
              if (!overlaps(input, columns[index].value.wires)) released += input.length;
              relation.columns[column] = undefined as never;
            }
            // A cast's input column is garbage now; collected column by column, dead columns never pile up.
            collectGarbage(released);
          }
          return { lanes: relation.lanes, valid: relation.valid, columns };
        }
        case "join": {
          const role = roles.get(node);
          if (role?.role === "takeUp") {
            onSharedJoin?.("takeUp", role.text);
            return parked!.takeUp(backend, role.text);
          }
          let left: Relation | undefined = await run(node.left);
          let right: Relation | undefined = await run(node.right);
          const keys = [];
          for (let index = 0; index < node.leftKeys.length; index++) {
            keys.push({
              left: await evaluate(backend, node.leftKeys[index], left), right: await evaluate(backend, node.rightKeys[index], right),
              leftType: node.leftKeys[index].type, rightType: node.rightKeys[index].type,
            });
          }
          // Only the columns read above (by any query that shares the join) go through its sort and scan; the
          // join takes the sides, so that no column of them outlives its copy into the joined rows.
          const kept = live.get(node)!;
          const keptOf = (relation: Relation, offset: number) => new HandOver({ ...relation, columns: relation.columns.filter((_, index) => kept[offset + index]) });
          const sides = [keptOf(left, 0), keptOf(right, left.columns.length)];
          left = right = undefined;
          const pruned = await joinRelations(backend, sides[0], sides[1], keys, node.type, { sidesSorted: sidesSorted(node), ...sortOptions(node) });
          const keptColumns = pruned.columns.values();
          const joined = { ...pruned, columns: kept.map((isKept) => (isKept ? keptColumns.next().value! : deadColumn(backend, pruned.lanes))) };
          if (role?.role === "park") {
            parked!.park(backend, role.text, joined, role.readers, kept);
            onSharedJoin?.("park", role.text);
          }
          return joined;
        }
        case "aggregate": {
          // The GROUP BY asks for its input, so that only it holds the rows and can let them go once sorted.
          return groupAggregateOf(backend, async () => {
            const relation = await run(node.input);
            const keys = [];
            for (const expression of node.groupBy) keys.push({ column: await evaluate(backend, expression, relation), type: expression.type });
            const aggregates = [];
            for (let index = 0; index < node.aggregates.length; index++) {
              const aggregate = node.aggregates[index];
              const column = node.columns[node.groupBy.length + index];
              aggregates.push({
                function: aggregate.function,
                argument: aggregate.argument ? await evaluate(backend, aggregate.argument, relation) : undefined,
                argumentType: aggregate.argument?.type,
                resultType: column.type,
                resultNullable: column.nullable,
              });
            }
            return { relation, keys, aggregates };
          }, { runs: groupRuns(node), keyDistinctWithinSource: distinctKeySources(node), totalsAsShareWires: node === shareWireTotals, ...sortOptions(node) });
        }
        case "sort": {
          const cleared = new HandOver(await clearNullKeyColumns(backend, await run(node.input), node.keys.map((key) => key.column)));
          const parts = (rows: Relation) => node.keys.map((key) => ({ column: rows.columns[key.column], type: node.columns[key.column].type, descending: key.descending }));
          return sortRows(backend, cleared, { columns: node.keys.map((key) => key.column), of: (rows) => ({ parts: parts(rows), validity: rows.valid }) }, sortOptions(node));
        }
        case "limit": {
          // Valid rows first (keeping any ORDER BY), then the first `count` lanes.
          const compacted = await compact(backend, new HandOver(await run(node.input)));
          return gatherRelation(backend, compacted, Int32Array.from({ length: node.rows }, (_, lane) => lane));
        }
      }
    };
    // The disclosure rules apply before ORDER BY and LIMIT, which then see only what may be released.
    let base: PlanNode = plan;
    const limit = base.kind === "limit" ? base : undefined;
    if (limit) base = limit.input;
    const order = base.kind === "sort" ? base : undefined;
    if (order) base = order.input;
    let relation: Relation | undefined = await run(base);
    const before = andGates?.() ?? 0;
    const undisclosed = new HandOver(relation);
    // The rows before disclosure are one copy of the whole relation: disclosure takes them, and lets them go
    // before it makes the masked copy.
    relation = undefined;
    let disclosed = await discloseRows(backend, undisclosed, plan.columns, study.minCellCount, { columnsAsShareWires: shareWireTotals !== undefined });
    collectGarbage(wiresOf(disclosed));
    // Each step below takes the rows it replaces (see HandOver), so no variable here keeps a second copy.
    const passOn = () => { const rows = new HandOver(disclosed); disclosed = undefined as never; return rows; };
    const arrival = order ? orderOfArrival(base, order) : undefined;
    let compacted = false;
    const outputSort: SortMethod[] = [];
    // Only a shuffle sort or shuffle takes share-wire columns as they are; compaction hands back the columns
    // its key does not read as share wires, since only the result reads them.
    const outputOptions = { method: shareWireTotals ? "shuffle" as const : options.sortMethod, onMethod: (method: SortMethod) => outputSort.push(method), restAsShareWires: true };
    if (arrival) {
      // The GROUP BY left its released rows in this order already: moving the dummies out of the way is enough.
      if (arrival === "descending") disclosed = gatherRelation(backend, disclosed, Int32Array.from({ length: disclosed.lanes }, (_, lane) => disclosed.lanes - 1 - lane));
      disclosed = await compactZeroedRows(backend, passOn(), outputOptions);
      compacted = true;
    } else if (order) {
      // Ties are broken by every released cell and flag, so tied rows are identical and their order says nothing.
      // discloseRows already zeroed the value bits of NULLs, so the key can be read straight off the rows.
      const keyParts = (rows: Relation) => [
        ...order.keys.map((key) => ({ column: rows.columns[key.column], type: plan.columns[key.column].type, descending: key.descending })),
        ...rows.columns.map((column, index) => ({ column, type: index < plan.columns.length ? plan.columns[index].type : ({ kind: "bool" } as const) })),
      ];
      const allColumns = disclosed.columns.map((_, index) => index);
      disclosed = await sortRows(backend, passOn(), { columns: allColumns, of: (rows) => ({ parts: keyParts(rows), validity: rows.valid }) }, outputOptions);
      // Invalid lanes sort last: the sort compacted the rows too.
      compacted = true;
    }
    if (limit) {
      if (!compacted) disclosed = await compactZeroedRows(backend, passOn(), outputOptions);
      compacted = true;
      disclosed = gatherRelation(backend, disclosed, Int32Array.from({ length: limit.rows }, (_, lane) => lane));
    }
    // Without ORDER BY or LIMIT no order is asked for: a shuffle (or compaction, where cheaper) hides where
    // groups ended and where dummies were. discloseRows zeroed every dummy row, and swaps and shuffles only move
    // rows, so no masking is needed after. Shuffled rows are shares already and go out as they are. The layout
    // copies no wire: it hands back the columns and the planes that widen them as parts.
    if (!compacted) disclosed = await hideDummyPositions(backend, passOn(), outputOptions);
    // Only output shares are read from here: as share wires, every part is of one kind and the labels go.
    const output = layoutOutput(backend, shareWiresOfRelation(backend, disclosed), plan.columns);
    const how = outputSort[0] === "shuffle" ? " by shuffle sort" : "";
    const unordered = outputSort[0] === "shuffle" ? "rows shuffled (no order asked for)" : "compaction";
    const ordering = arrival ? `ORDER BY (rows arrive in order from the GROUP BY: compaction only${how})` : order ? `ORDER BY (a sort that also compacts${how})` + (limit ? ", LIMIT" : "") : limit ? `LIMIT, compaction${how}` : unordered;
    if (observe && andGates) observe(`output: minimum cell count, dummies zeroed, ${ordering}`, plan.rows, 0, andGates() - before);
    return output;
  }
}

/**
 * Whether the rows under an ORDER BY already arrive in its order: a GROUP BY leaves one released row per
 * group, ascending by its keys, so ORDER BY exactly those keys (through column references and HAVING) needs
 * no sort. Descending works by reading the lanes backwards, unless a key may be NULL (NULLs stay last).
 */
function orderOfArrival(base: PlanNode, order: Extract<PlanNode, { kind: "sort" }>): "ascending" | "descending" | undefined {
  if (base.kind !== "project") return undefined;
  let below: PlanNode = base.input;
  while (below.kind === "filter") below = below.input;
  if (below.kind !== "aggregate" || below.groupBy.length === 0 || below.groupBy.length !== order.keys.length) return undefined;
  const direction = order.keys[0].descending;
  const inOrder = order.keys.every((key, index) => {
    const expression = base.expressions[key.column];
    return key.descending === direction && expression.kind === "column" && expression.index === index && (!direction || !base.columns[key.column].nullable);
  });
  if (!inOrder) return undefined;
  return direction ? "descending" : "ascending";
}

function wiresOf(relation: Relation): number {
  return relation.valid.length + relation.columns.reduce((sum, column) => sum + column.value.wires.length + (column.isNull?.length ?? 0), 0);
}

/**
 * The relation with each column in storage of its own. An operator's output columns are often views into
 * much larger vectors (a sorted record, a packed scan), which a view keeps alive; copying those lets the
 * larger vectors go as soon as the operator returns. A column that is all of its storage already is kept,
 * not copied, so the step never holds two copies of it. Every vector is then the relation's own, so the next
 * operator may overwrite it in place (Relation.ownsStorage).
 */
function ownStorage(backend: Backend, relation: Relation, inputBuffers: WeakSet<ArrayBufferLike>): Relation {
  // An input table's labels may still be scanned again, so they are never the relation's own.
  const own = (wires: WireVector) => (spansItsStorage(wires) && !inputBuffers.has(wires.data.buffer) ? wires : backend.concat([wires]));
  return {
    ownsStorage: true,
    lanes: relation.lanes,
    valid: own(relation.valid),
    columns: relation.columns.map((column) => ({ value: { ...column.value, wires: own(column.value.wires) }, isNull: column.isNull ? own(column.isNull) : undefined, zeroWhereNull: column.zeroWhereNull })),
  };
}

/**
 * The GROUP BY whose result goes to the output through projections of columns (and integer widenings) only,
 * if it is one of `shuffled` (GROUP BYs that sort by shuffling): its keys and totals can then stay share wires
 * (GroupOptions.totalsAsShareWires) until the disclosure rules take them up one column at a time.
 */
function readOnlyByOutput(plan: PlanNode, shuffled: ReadonlySet<PlanNode>): PlanNode | undefined {
  let node = plan.kind === "limit" ? plan.input : plan;
  if (node.kind === "sort") node = node.input;
  while (node.kind === "project" && node.expressions.every((expression) => columnOrWidening(expression) !== undefined)) node = node.input;
  return node.kind === "aggregate" && node.groupBy.length > 0 && shuffled.has(node) ? node : undefined;
}
