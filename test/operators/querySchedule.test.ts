/** The schedule of a session's queries over worker pairs: session order per pair, joins waited for where they are parked. */
import { describe, expect, it } from "@jest/globals";
import { readersByPair, scheduleQueries, type QueryLoad } from "../../src/operators/querySchedule.js";

// The pilot's shape: a small query, then a rollup that computes the join (parked after 3 of its 9.5 units),
// then two rollups that take it up.
const pilot: QueryLoad[] = [
  { andGates: 1, joinsParked: [], joinsTakenUp: {} },
  { andGates: 95, joinsParked: [{ text: "J", afterAndGates: 30 }], joinsTakenUp: {} },
  { andGates: 45, joinsParked: [], joinsTakenUp: { J: 1 } },
  { andGates: 46, joinsParked: [], joinsTakenUp: { J: 1 } },
];

describe("scheduleQueries", () => {
  it("runs the whole session on one pair in session order", () => {
    expect(scheduleQueries(pilot, 1)).toEqual({ pairs: [[0, 1, 2, 3]], spanAndGates: 187 });
  });

  it("starts a query that takes up a join once the join is parked, not once the query parking it ends", () => {
    // Pair 1 runs the join's rollup; the others start on the join 30 units in.
    expect(scheduleQueries(pilot, 3)).toEqual({ pairs: [[0, 2], [1], [3]], spanAndGates: 95 });
    // With two pairs the second rollup waits for the first on pair 0 (ends at 121), not for pair 1 (ends at 141).
    expect(scheduleQueries(pilot, 2)).toEqual({ pairs: [[0, 2, 3], [1]], spanAndGates: 121 });
  });

  it("leaves extra pairs idle and keeps each pair's queries in session order", () => {
    const schedule = scheduleQueries([{ andGates: 5, joinsParked: [], joinsTakenUp: {} }, { andGates: 9, joinsParked: [], joinsTakenUp: {} }], 4);
    expect(schedule.pairs).toEqual([[0], [1], [], []]);
    expect(schedule.spanAndGates).toBe(9);
  });

  it("counts each pair's take-ups of each join, including a query taking up its own join again", () => {
    const loads: QueryLoad[] = [
      { andGates: 10, joinsParked: [{ text: "J", afterAndGates: 4 }], joinsTakenUp: { J: 1 } },
      { andGates: 10, joinsParked: [], joinsTakenUp: { J: 2 } },
    ];
    const schedule = scheduleQueries(loads, 2);
    expect(schedule.pairs).toEqual([[0], [1]]);
    expect(readersByPair(loads, schedule)).toEqual([new Map([["J", 1]]), new Map([["J", 2]])]);
  });

  it("refuses a pair count that is not a positive whole number", () => {
    expect(() => scheduleQueries(pilot, 0)).toThrow(/at least one worker pair/);
    expect(() => scheduleQueries(pilot, 1.5)).toThrow(/at least one worker pair/);
  });
});
