/** Plane-wise lane gather and scatter agree with the per-wire gather and scatter they replace, for every storage kind. */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { gatherPlaneLanes, gatherWires, planesToRows, scatterPlaneLanes, scatterWires, sliceWires, WireVector, type BytesPerWire } from "../../src/circuit/wireVector.js";

function randomVector(length: number, size: BytesPerWire): WireVector {
  const data = size === 0 ? new Uint8Array(0) : new Uint8Array(randomBytes(length * size));
  return new WireVector(length, size, data);
}

/** The width·n per-wire indices that the plane-wise calls stand for. */
function perWireIndices(width: number, laneCount: number, lanes: number[]): number[] {
  return Array.from({ length: width }, (_, bit) => lanes.map((lane) => bit * laneCount + lane)).flat();
}

describe.each([16, 1, 0] as BytesPerWire[])("plane-wise lanes, %i bytes per wire", (size) => {
  const width = 5;
  const laneCount = 7;
  const lanes = [6, 0, 3, 3, 1];

  it("gather picks the same lanes from every plane", () => {
    const vector = randomVector(width * laneCount, size);
    const planeWise = gatherPlaneLanes(vector, width, lanes);
    const perWire = gatherWires(vector, perWireIndices(width, laneCount, lanes));
    expect(planeWise.length).toBe(width * lanes.length);
    expect(Buffer.from(planeWise.data).equals(Buffer.from(perWire.data))).toBe(true);
  });

  it("scatter writes the same lanes of every plane and leaves the original alone", () => {
    const target = randomVector(width * laneCount, size);
    const before = Buffer.from(target.data);
    const distinct = [6, 0, 3];
    const values = randomVector(width * distinct.length, size);
    const planeWise = scatterPlaneLanes(target, width, distinct, values);
    const perWire = scatterWires(target, perWireIndices(width, laneCount, distinct), values);
    expect(Buffer.from(planeWise.data).equals(Buffer.from(perWire.data))).toBe(true);
    expect(Buffer.from(target.data).equals(before)).toBe(true);
  });

  it("copies runs of consecutive lanes as blocks with the same result as lane by lane", () => {
    const runLanes = 64;
    // A run of 20, singles, a run of exactly 8, a run of 7 (copied lane by lane), a run reaching the last lane.
    const picked = [...Array.from({ length: 20 }, (_, i) => 3 + i), 40, 2, ...Array.from({ length: 8 }, (_, i) => 24 + i), ...Array.from({ length: 7 }, (_, i) => 33 + i), ...Array.from({ length: 12 }, (_, i) => 52 + i)];
    const vector = randomVector(width * runLanes, size);
    const gathered = gatherPlaneLanes(vector, width, picked);
    expect(Buffer.from(gathered.data).equals(Buffer.from(gatherWires(vector, perWireIndices(width, runLanes, picked)).data))).toBe(true);
    const values = randomVector(width * picked.length, size);
    const scattered = scatterPlaneLanes(vector, width, picked, values);
    expect(Buffer.from(scattered.data).equals(Buffer.from(scatterWires(vector, perWireIndices(width, runLanes, picked), values).data))).toBe(true);
  });

  it("refuses lanes outside the planes and vectors that are not whole planes", () => {
    const vector = randomVector(width * laneCount, size);
    expect(() => gatherPlaneLanes(vector, width, [laneCount])).toThrow(/gather lane 7 outside 7 lanes/);
    expect(() => gatherPlaneLanes(vector, width, [-1])).toThrow(RangeError);
    expect(() => gatherPlaneLanes(vector, 4, [0])).toThrow(/not 4 whole planes/);
    expect(() => scatterPlaneLanes(vector, width, [9], randomVector(width, size))).toThrow(/scatter lane 9/);
    expect(() => scatterPlaneLanes(vector, width, [1, 2], randomVector(width, size))).toThrow(/scatter of 5 wires into 5 planes of 2 lanes/);
  });
});

it("zero planes gather to nothing", () => {
  expect(gatherPlaneLanes(randomVector(0, 16), 0, [3, 1]).length).toBe(0);
});


describe.each([16, 1, 0] as BytesPerWire[])("records laid out row by row, %i bytes per wire", (size) => {
  it("hold lane l of plane p at wire l·k + p", () => {
    // More lanes than one transposition block, and a lane count that is not a multiple of it.
    const width = 3, laneCount = 600;
    const vector = randomVector(width * laneCount, size);
    const planes = Array.from({ length: width }, (_, p) => sliceWires(vector, p * laneCount, (p + 1) * laneCount));
    const rows = planesToRows(planes, laneCount);
    expect(rows.length).toBe(width * laneCount);
    expect(Buffer.from(rows.data).equals(Buffer.from(gatherWires(vector, Array.from({ length: width * laneCount }, (_, wire) => (wire % width) * laneCount + Math.floor(wire / width))).data))).toBe(true);
    expect(() => planesToRows([planes[0], sliceWires(planes[1], 1)], laneCount)).toThrow(RangeError);
  });
});
