/** Bristol Fashion circuits: parse, schedule in AND-depth layers, and run on any backend with one call per layer. */
import { InputError } from "../share/errors.js";
import type { Backend, CircuitProgram } from "./backend.js";
import { WireVector, scatterWiresInPlace } from "./wireVector.js";

export type BristolOperation = "XOR" | "AND" | "INV" | "EQ" | "EQW";

/** One vectorised step: every gate of one operation in one layer. */
export interface BristolStep {
  operation: BristolOperation;
  /** First input wire of each gate (for EQ: unused). */
  left: Int32Array;
  /** Second input wire of each gate (XOR and AND only). */
  right: Int32Array;
  output: Int32Array;
  /** EQ only: the constant bit of each gate. */
  constants: Uint8Array;
}

export interface BristolCircuit {
  gateCount: number;
  wireCount: number;
  inputBits: number[];
  outputBits: number[];
  /** AND gates, with each MAND line counted as its ANDs. */
  andCount: number;
  /** Number of AND layers: every AND of a layer is garbled in one vector call. */
  andDepth: number;
  steps: BristolStep[];
}

const OPERATION_CODES: Record<string, number> = { XOR: 0, AND: 1, INV: 2, EQ: 3, EQW: 4, MAND: 1 };
const OPERATIONS: BristolOperation[] = ["XOR", "AND", "INV", "EQ", "EQW"];

/** Parses a Bristol Fashion file's text; `file` names it in error messages. */
export function parseBristol(text: string, file?: string): BristolCircuit {
  const lines = text.split("\n");
  let lineIndex = 0;
  const fail = (message: string): never => { throw new InputError(message, { file, line: lineIndex + 1 }); };
  const nextLine = (): string[] => {
    while (lineIndex < lines.length && lines[lineIndex].trim() === "") lineIndex++;
    if (lineIndex >= lines.length) fail("unexpected end of the circuit file");
    return lines[lineIndex++].trim().split(/\s+/);
  };
  const integer = (token: string | undefined, what: string): number => {
    if (token === undefined || !/^\d+$/.test(token)) fail(`expected ${what}, found "${token ?? ""}"`);
    return Number(token);
  };

  const header = nextLine();
  const gateCount = integer(header[0], "the gate count");
  const wireCount = integer(header[1], "the wire count");
  const inputLine = nextLine();
  const inputBits = inputLine.slice(1).map((token) => integer(token, "an input width"));
  if (inputBits.length !== integer(inputLine[0], "the number of inputs")) fail("the number of inputs does not match the widths listed");
  const outputLine = nextLine();
  const outputBits = outputLine.slice(1).map((token) => integer(token, "an output width"));
  if (outputBits.length !== integer(outputLine[0], "the number of outputs")) fail("the number of outputs does not match the widths listed");

  // Flat gate list (MAND expanded): operation code, two inputs, one output, constant.
  const codes: number[] = [];
  const lefts: number[] = [];
  const rights: number[] = [];
  const outputs: number[] = [];
  const constants: number[] = [];
  const totalInputs = inputBits.reduce((sum, bits) => sum + bits, 0);
  const assigned = new Uint8Array(wireCount);
  assigned.fill(1, 0, totalInputs);
  const readWire = (token: string | undefined): number => {
    const wire = integer(token, "a wire number");
    if (wire >= wireCount) fail(`wire ${wire} is outside the ${wireCount} wires declared`);
    if (!assigned[wire]) fail(`wire ${wire} is read before any gate sets it`);
    return wire;
  };
  const writeWire = (token: string | undefined): number => {
    const wire = integer(token, "a wire number");
    if (wire >= wireCount) fail(`wire ${wire} is outside the ${wireCount} wires declared`);
    if (assigned[wire]) fail(`wire ${wire} is set twice`);
    assigned[wire] = 1;
    return wire;
  };
  let gatesRead = 0;
  while (gatesRead < gateCount) {
    const tokens = nextLine();
    const inCount = integer(tokens[0], "a gate's input count");
    const outCount = integer(tokens[1], "a gate's output count");
    const name = tokens[2 + inCount + outCount];
    if (tokens.length !== 3 + inCount + outCount) fail(`a gate with ${inCount} inputs and ${outCount} outputs needs ${3 + inCount + outCount} fields`);
    const code = OPERATION_CODES[name];
    if (code === undefined) fail(`unknown gate "${name}"`);
    const ins = tokens.slice(2, 2 + inCount);
    const outs = tokens.slice(2 + inCount, 2 + inCount + outCount);
    const expected = name === "MAND" ? [2 * outCount, outCount] : { XOR: [2, 1], AND: [2, 1], INV: [1, 1], EQ: [1, 1], EQW: [1, 1] }[name]!;
    if (inCount !== expected[0] || outCount !== expected[1]) fail(`${name} takes ${expected[0]} inputs and ${expected[1]} outputs`);
    if (name === "MAND") {
      const leftWires = ins.slice(0, outCount).map(readWire);
      const rightWires = ins.slice(outCount).map(readWire);
      for (let k = 0; k < outCount; k++) {
        codes.push(1); lefts.push(leftWires[k]); rights.push(rightWires[k]); outputs.push(writeWire(outs[k])); constants.push(0);
      }
    } else if (name === "EQ") {
      const bit = integer(ins[0], "a constant 0 or 1");
      if (bit > 1) fail("EQ sets a wire to 0 or 1");
      codes.push(code); lefts.push(0); rights.push(0); outputs.push(writeWire(outs[0])); constants.push(bit);
    } else {
      const left = readWire(ins[0]);
      const right = inCount === 2 ? readWire(ins[1]) : 0;
      codes.push(code); lefts.push(left); rights.push(right); outputs.push(writeWire(outs[0])); constants.push(0);
    }
    gatesRead++;
  }
  while (lineIndex < lines.length && lines[lineIndex].trim() === "") lineIndex++;
  if (lineIndex < lines.length) fail(`more gate lines than the ${gateCount} declared`);
  const totalOutputs = outputBits.reduce((sum, bits) => sum + bits, 0);
  for (let wire = wireCount - totalOutputs; wire < wireCount; wire++) {
    if (!assigned[wire]) throw new InputError(`output wire ${wire} is never set`, { file });
  }
  if (totalInputs + totalOutputs > wireCount) throw new InputError("inputs and outputs need more wires than declared", { file });

  const { steps, andDepth } = schedule(wireCount, codes, lefts, rights, outputs, constants);
  const andCount = codes.reduce((sum, code) => sum + (code === 1 ? 1 : 0), 0);
  return { gateCount, wireCount, inputBits, outputBits, andCount, andDepth, steps };
}

/**
 * Groups gates into steps. A wire's AND depth is the number of ANDs on its longest path. Layer d first runs
 * every AND whose output has depth d (their inputs are all ready), then the free gates of depth d in
 * sub-levels, so that all ANDs of a layer become one vector call.
 */
function schedule(wireCount: number, codes: number[], lefts: number[], rights: number[], outputs: number[], constants: number[]): { steps: BristolStep[]; andDepth: number } {
  const depth = new Int32Array(wireCount);
  // Free sub-level within the wire's AND depth; −1 for wires ready at the start of their layer's free phase.
  const level = new Int32Array(wireCount).fill(-1);
  const gateDepth = new Int32Array(codes.length);
  const gateLevel = new Int32Array(codes.length);
  let andDepth = 0;
  for (let g = 0; g < codes.length; g++) {
    const code = codes[g];
    const out = outputs[g];
    if (code === 1) {
      const d = 1 + Math.max(depth[lefts[g]], depth[rights[g]]);
      depth[out] = d;
      level[out] = -1;
      gateDepth[g] = d;
      gateLevel[g] = -1;
      if (d > andDepth) andDepth = d;
    } else {
      const inputs = code === 3 ? [] : code === 0 ? [lefts[g], rights[g]] : [lefts[g]];
      let d = 0;
      for (const wire of inputs) d = Math.max(d, depth[wire]);
      let l = -1;
      for (const wire of inputs) if (depth[wire] === d) l = Math.max(l, level[wire]);
      depth[out] = d;
      level[out] = l + 1;
      gateDepth[g] = d;
      gateLevel[g] = l + 1;
    }
  }
  // Bucket gates by (depth, phase, operation); phase 0 is the ANDs, phase 1+L the free sub-level L.
  const buckets = new Map<number, number[]>();
  const keys: number[] = [];
  let maxLevel = 0;
  for (let g = 0; g < codes.length; g++) maxLevel = Math.max(maxLevel, gateLevel[g] + 1);
  const phases = maxLevel + 1;
  for (let g = 0; g < codes.length; g++) {
    const key = (gateDepth[g] * phases + gateLevel[g] + 1) * OPERATIONS.length + codes[g];
    let bucket = buckets.get(key);
    if (!bucket) { bucket = []; buckets.set(key, bucket); keys.push(key); }
    bucket.push(g);
  }
  keys.sort((a, b) => a - b);
  const steps = keys.map((key) => {
    const gates = buckets.get(key)!;
    const step: BristolStep = {
      operation: OPERATIONS[key % OPERATIONS.length],
      left: Int32Array.from(gates, (g) => lefts[g]),
      right: Int32Array.from(gates, (g) => rights[g]),
      output: Int32Array.from(gates, (g) => outputs[g]),
      constants: Uint8Array.from(gates, (g) => constants[g]),
    };
    return step;
  });
  return { steps, andDepth };
}

/** The circuit as a program: input i is a vector of `inputBits[i]` wires, wire 0 the least significant bit. */
export function bristolProgram(circuit: BristolCircuit): CircuitProgram {
  return (backend, inputs) => evaluateBristol(backend, circuit, inputs);
}

export async function evaluateBristol(backend: Backend, circuit: BristolCircuit, inputs: WireVector[]): Promise<WireVector[]> {
  if (inputs.length !== circuit.inputBits.length) throw new RangeError(`the circuit takes ${circuit.inputBits.length} inputs, got ${inputs.length}`);
  // A wire table owned here, so it may be updated in place (every other vector stays immutable).
  const store = backend.constant(new Uint8Array(circuit.wireCount));
  let offset = 0;
  inputs.forEach((input, i) => {
    if (input.length !== circuit.inputBits[i]) throw new RangeError(`input ${i} has ${input.length} bits, the circuit expects ${circuit.inputBits[i]}`);
    scatterWiresInPlace(store, Int32Array.from({ length: input.length }, (_, k) => offset + k), input);
    offset += input.length;
  });
  for (const step of circuit.steps) {
    let result: WireVector;
    switch (step.operation) {
      case "AND": result = await backend.and(backend.gather(store, step.left), backend.gather(store, step.right)); break;
      case "XOR": result = backend.xor(backend.gather(store, step.left), backend.gather(store, step.right)); break;
      case "INV": result = backend.not(backend.gather(store, step.left)); break;
      case "EQW": result = backend.gather(store, step.left); break;
      case "EQ": result = backend.constant(step.constants); break;
    }
    scatterWiresInPlace(store, step.output, result);
  }
  const results: WireVector[] = [];
  let start = circuit.wireCount - circuit.outputBits.reduce((sum, bits) => sum + bits, 0);
  for (const bits of circuit.outputBits) {
    results.push(backend.gather(store, Int32Array.from({ length: bits }, (_, k) => start + k)));
    start += bits;
  }
  return results;
}

/**
 * A hex string as the bits of a Bristol input: the bytes are one big-endian integer and wire 0 is its least
 * significant bit. The hex must have exactly ⌈bits/4⌉ digits.
 */
export function hexToBristolBits(hex: string, bits: number): Uint8Array {
  const digits = hex.replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]+$/.test(digits)) throw new InputError(`"${hex}" is not a hex string`);
  if (digits.length !== Math.ceil(bits / 4)) throw new InputError(`an input of ${bits} bits needs ${Math.ceil(bits / 4)} hex digits, got ${digits.length}`);
  let value = BigInt("0x" + digits);
  if (value >> BigInt(bits) !== 0n) throw new InputError(`"${hex}" does not fit in ${bits} bits`);
  const result = new Uint8Array(bits);
  for (let i = 0; i < bits; i++, value >>= 1n) result[i] = Number(value & 1n);
  return result;
}

/** Output bits (wire 0 least significant) as ⌈bits/4⌉ hex digits. */
export function bristolBitsToHex(bits: Uint8Array): string {
  let value = 0n;
  for (let i = bits.length - 1; i >= 0; i--) value = (value << 1n) | BigInt(bits[i] & 1);
  return value.toString(16).padStart(Math.ceil(bits.length / 4), "0");
}
