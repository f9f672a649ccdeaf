/**
 * An input table's labels as runs of whole bit-planes of its share layout, each run a vector of its own: the
 * valid bit, then each column's NULL flag and value. The compute parties make the labels run by run, so a
 * scan's columns are whole vectors that the rest of the query may own and let go one by one, and planes no
 * scan reads (the suppressible flag) get no OT at all.
 */
import type { Backend } from "../circuit/backend.js";
import type { WireVector } from "../circuit/wireVector.js";
import { columnBits, columnValueBits, rowBits, type Column } from "../share/schema.js";

/** A run of planes `[first, end)` of a table's row layout. */
export interface PlaneRun {
  first: number;
  end: number;
}

/** Where a table's labels come from: its row layout's plane count and the runs that get labels. */
export interface InputLayout {
  planes: number;
  runs: PlaneRun[];
  /** The runs go in as share wires, without OT (see shareWireInputs.ts). */
  shareWires?: boolean;
}

/** The labels of one run of planes: `wires` holds planes `firstPlane …` of every lane, plane-major. */
export interface InputPlanes {
  firstPlane: number;
  wires: WireVector;
}

/**
 * Where each column sits in a table's row layout (after the valid plane): its value's first plane and width,
 * and its NULL flag's plane, just before the value, when it has one. A suppressible flag comes first.
 */
export function columnPlanes(columns: readonly Column[]): Array<{ value: number; valueBits: number; isNull?: number }> {
  let offset = 1;
  return columns.map((column) => {
    const value = offset + columnBits(column) - columnValueBits(column);
    offset += columnBits(column);
    return { value, valueBits: columnValueBits(column), ...(column.nullable ? { isNull: value - 1 } : {}) };
  });
}

/** The runs a scan reads of a table (see scanInput): the valid plane, and per column its NULL flag and value. */
export function inputLayoutOf(columns: readonly Column[]): InputLayout {
  const runs: PlaneRun[] = [{ first: 0, end: 1 }];
  for (const { value, valueBits, isNull } of columnPlanes(columns)) {
    if (isNull !== undefined) runs.push({ first: isNull, end: isNull + 1 });
    runs.push({ first: value, end: value + valueBits });
  }
  return { planes: rowBits(columns), runs };
}

/** One table's share bits (plane-major, one byte per bit) cut into its runs: views, no copy. */
export function splitShareIntoRuns(shareBits: Uint8Array, layout: InputLayout): Uint8Array[] {
  const lanes = shareBits.length / layout.planes;
  if (!Number.isInteger(lanes)) throw new RangeError(`a share of ${shareBits.length} bits is not whole rows of ${layout.planes} bits`);
  return layout.runs.map((run) => shareBits.subarray(run.first * lanes, run.end * lanes));
}

/** The labels of every table's runs, one after another as the parties made them, grouped back by table. */
export function groupRunsByTable(labels: WireVector[], layouts: readonly InputLayout[]): InputPlanes[][] {
  let next = 0;
  const tables = layouts.map((layout) => layout.runs.map((run) => ({ firstPlane: run.first, wires: labels[next++] })));
  if (next !== labels.length) throw new RangeError(`expected ${next} runs of input labels, got ${labels.length}`);
  return tables;
}

/** Planes `[first, end)` of a table of `lanes` lanes: the run itself when it is exactly those planes, else a view or a join. */
export function planesOf(backend: Backend, input: readonly InputPlanes[], lanes: number, first: number, end: number): WireVector {
  // No lanes: every run is empty, so which plane is which cannot be told from their lengths.
  if (lanes === 0 || first === end) return backend.slice(input[0].wires, 0, 0);
  const pieces: WireVector[] = [];
  for (let plane = first; plane < end;) {
    const endOf = (run: InputPlanes) => run.firstPlane + run.wires.length / lanes;
    const run = input.find((candidate) => candidate.firstPlane <= plane && plane < endOf(candidate));
    if (!run) throw new RangeError(`plane ${plane} of the input has no labels`);
    const pieceEnd = Math.min(end, endOf(run));
    const whole = plane === run.firstPlane && pieceEnd === endOf(run);
    pieces.push(whole ? run.wires : backend.slice(run.wires, (plane - run.firstPlane) * lanes, (pieceEnd - run.firstPlane) * lanes));
    plane = pieceEnd;
  }
  return pieces.length === 1 ? pieces[0] : backend.concat(pieces);
}
