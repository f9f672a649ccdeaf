/**
 * The half-gates loops as WebAssembly SIMD kernels, one v128 per label. Profiling real queries put a third of
 * the garbler's time in the JS gate loop, the tweak loop and the Δ copies; here they work 16 bytes at a time,
 * and the two AES passes of a batch are one `aes-128-ecb` call each over every label it hashes.
 *
 * A batch of G ≤ GATES_PER_BATCH gates, with R = 16·G bytes, lays its labels out as four quarters of R:
 *   garbler   X = [A0 | A0⊕Δ | B0 | B0⊕Δ]      evaluator   X = [A | B | – | –]
 * and the hash H(x, i) = π(π(x) ⊕ i) ⊕ π(x) (tccrHash.ts) of every label at once, with tweak 2g in the A
 * quarters and 2g+1 in the B quarters:   T = π(X),   Q = π(T ⊕ tweaks),   H = Q ⊕ T.
 * Memory: X, T and Q of 4·RMAX bytes each, then the output labels (RMAX), the tables (2·RMAX) and Δ (16).
 */
import {
  add,
  assembleModule,
  bitAnd,
  bitOr,
  branchIf,
  constant,
  end,
  get,
  loadVectorAt,
  loadWord,
  loopStart,
  notEqual,
  replaceWordLane,
  set,
  splatWord,
  storeVectorAt,
  subtract,
  tee,
  vectorAdd64,
  vectorAnd,
  vectorConstant,
  vectorXor,
  type FunctionDefinition,
} from "../ot/wasmAssembler.js";

const load = (address: number[]): number[] => [...address, ...loadVectorAt(0)];
/** The address `base + offset` (+ one more local), from locals. */
const at = (base: number, offset: number, extra?: number): number[] => [...get(base), ...get(offset), ...add, ...(extra === undefined ? [] : [...get(extra), ...add])];
/** splat(0 − (lowest bit of the word at `address`)): all ones where a label's permute bit is set. */
const permuteMask = (address: number[]): number[] => [...constant(0), ...address, ...loadWord, ...constant(1), ...bitAnd, ...subtract, ...splatWord];
/** `for (offset = 0; offset != limit; offset += 16) body`, for limit > 0. */
const loopOver = (offset: number, limit: number, body: number[], step: number[] = []): number[] => [
  ...constant(0), ...set(offset), ...loopStart, ...body, ...step,
  ...get(offset), ...constant(16), ...add, ...tee(offset), ...get(limit), ...notEqual, ...branchIf(0), ...end,
];

/** xorDelta(target, source, bytes, delta): target_i = source_i ⊕ Δ. */
function xorDeltaFunction(): FunctionDefinition {
  const offset = 4, delta = 5;
  return {
    name: "xorDelta", parameterCount: 4, i32Locals: 1, v128Locals: 1,
    code: [
      ...load(get(3)), ...set(delta),
      ...loopOver(offset, 2, [...at(0, offset), ...load(at(1, offset)), ...get(delta), ...vectorXor, ...storeVectorAt(0)]),
    ],
  };
}

/** addTweaks(pointer, bytes, low, high, odd): block i ^= the 64-bit tweak (high·2³² + low) + 2i + odd, little-endian in its first 8 bytes. */
function addTweaksFunction(): FunctionDefinition {
  const offset = 5, tweak = 6;
  const two = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  return {
    name: "addTweaks", parameterCount: 5, i32Locals: 1, v128Locals: 1,
    code: [
      // The first tweak is even, so its odd twin only sets bit 0.
      ...vectorConstant(new Array(16).fill(0)), ...get(2), ...get(4), ...bitOr, ...replaceWordLane(0), ...get(3), ...replaceWordLane(1), ...set(tweak),
      ...loopOver(offset, 1,
        [...at(0, offset), ...load(at(0, offset)), ...get(tweak), ...vectorXor, ...storeVectorAt(0)],
        [...get(tweak), ...vectorConstant(two), ...vectorAdd64, ...set(tweak)]),
    ],
  };
}

/**
 * garble(x, t, q, out, tables, quarter, delta): per gate, with H = Q ⊕ T of each quarter and pa, pb the
 * permute bits of A0, B0: TG = H(A0) ⊕ H(A1) ⊕ pb·Δ, TE = H(B0) ⊕ H(B1) ⊕ A0,
 * C0 = H(A0) ⊕ pa·TG ⊕ H(B0) ⊕ pb·(TE ⊕ A0); out gets C0, tables TG ‖ TE.
 */
function garbleFunction(): FunctionDefinition {
  const [x, t, q, out, tables, quarter, deltaPointer] = [0, 1, 2, 3, 4, 5, 6];
  const [offset, tableOffset, half, threeQuarters] = [7, 8, 9, 10];
  const [delta, a0, pa, pb, ha0, ha1, hb0, hb1, tg, te] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const hashOf = (extra?: number) => [...load(at(q, offset, extra)), ...load(at(t, offset, extra)), ...vectorXor];
  return {
    name: "garble", parameterCount: 7, i32Locals: 4, v128Locals: 10,
    code: [
      ...load(get(deltaPointer)), ...set(delta),
      ...get(quarter), ...get(quarter), ...add, ...set(half),
      ...get(half), ...get(quarter), ...add, ...set(threeQuarters),
      ...loopOver(offset, quarter, [
        ...load(at(x, offset)), ...set(a0),
        ...permuteMask(at(x, offset)), ...set(pa),
        ...permuteMask(at(x, offset, half)), ...set(pb),
        ...hashOf(), ...set(ha0),
        ...hashOf(quarter), ...set(ha1),
        ...hashOf(half), ...set(hb0),
        ...hashOf(threeQuarters), ...set(hb1),
        ...get(ha0), ...get(ha1), ...vectorXor, ...get(delta), ...get(pb), ...vectorAnd, ...vectorXor, ...set(tg),
        ...get(hb0), ...get(hb1), ...vectorXor, ...get(a0), ...vectorXor, ...set(te),
        ...at(out, offset),
        ...get(ha0), ...get(tg), ...get(pa), ...vectorAnd, ...vectorXor,
        ...get(hb0), ...vectorXor, ...get(te), ...get(a0), ...vectorXor, ...get(pb), ...vectorAnd, ...vectorXor,
        ...storeVectorAt(0),
        ...at(tables, tableOffset), ...get(tg), ...storeVectorAt(0),
        ...at(tables, tableOffset), ...get(te), ...storeVectorAt(16),
      ], [...get(tableOffset), ...constant(32), ...add, ...set(tableOffset)]),
    ],
  };
}

/**
 * evaluate(x, t, q, out, tables, quarter): per gate, with sa, sb the permute bits of the held A, B and the
 * table TG ‖ TE: C = H(A) ⊕ sa·TG ⊕ H(B) ⊕ sb·(TE ⊕ A).
 */
function evaluateFunction(): FunctionDefinition {
  const [x, t, q, out, tables, quarter] = [0, 1, 2, 3, 4, 5];
  const [offset, tableOffset] = [6, 7];
  const [a, sa, sb] = [8, 9, 10];
  const hashOf = (extra?: number) => [...load(at(q, offset, extra)), ...load(at(t, offset, extra)), ...vectorXor];
  return {
    name: "evaluate", parameterCount: 6, i32Locals: 2, v128Locals: 3,
    code: [
      ...constant(0), ...set(tableOffset),
      ...loopOver(offset, quarter, [
        ...load(at(x, offset)), ...set(a),
        ...permuteMask(at(x, offset)), ...set(sa),
        ...permuteMask(at(x, offset, quarter)), ...set(sb),
        ...at(out, offset),
        ...hashOf(), ...at(tables, tableOffset), ...loadVectorAt(0), ...get(sa), ...vectorAnd, ...vectorXor,
        ...hashOf(quarter), ...vectorXor,
        ...at(tables, tableOffset), ...loadVectorAt(16), ...get(a), ...vectorXor, ...get(sb), ...vectorAnd, ...vectorXor,
        ...storeVectorAt(0),
      ], [...get(tableOffset), ...constant(32), ...add, ...set(tableOffset)]),
    ],
  };
}

let compiled: WebAssembly.Module | null = null;

type Kernel = (...parameters: number[]) => void;

const TWO_TO_32 = 2 ** 32;

/** One instance per garbler or evaluator: a memory laid out for batches of up to `maxGates` gates. */
export class HalfGateKernels {
  private readonly bytes: Uint8Array;
  private readonly maxQuarter: number;
  private readonly x = 0;
  private readonly t: number;
  private readonly q: number;
  private readonly out: number;
  private readonly tables: number;
  private readonly delta: number;
  private readonly xorDeltaKernel: Kernel;
  private readonly addTweaksKernel: Kernel;
  private readonly garbleKernel: Kernel;
  private readonly evaluateKernel: Kernel;

  /** `permute` is π of the TCCR hash: AES-128 under the computation's key, over whole buffers. */
  constructor(maxGates: number, private readonly permute: (blocks: Uint8Array) => Uint8Array) {
    compiled ??= new WebAssembly.Module(assembleModule([xorDeltaFunction(), addTweaksFunction(), garbleFunction(), evaluateFunction()]));
    this.maxQuarter = 16 * maxGates;
    this.t = 4 * this.maxQuarter;
    this.q = 8 * this.maxQuarter;
    this.out = 12 * this.maxQuarter;
    this.tables = 13 * this.maxQuarter;
    this.delta = 15 * this.maxQuarter;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((this.delta + 16) / 65536) });
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
    this.xorDeltaKernel = exports.xorDelta as Kernel;
    this.addTweaksKernel = exports.addTweaks as Kernel;
    this.garbleKernel = exports.garble as Kernel;
    this.evaluateKernel = exports.evaluate as Kernel;
    this.bytes = new Uint8Array(memory.buffer);
  }

  /** The garbler's Δ, kept in the kernel memory. */
  setDelta(delta: Uint8Array): void {
    this.bytes.set(delta, this.delta);
  }

  /** Garbles a batch: 0-labels a0, b0 in; C0 labels and TG ‖ TE tables out; gate g uses tweaks 2(first + g) and 2(first + g) + 1. */
  garble(a0: Uint8Array, b0: Uint8Array, output: Uint8Array, tables: Uint8Array, firstGate: number): void {
    const quarter = this.checkBatch(a0, b0);
    this.bytes.set(a0, this.x);
    this.bytes.set(b0, this.x + 2 * quarter);
    this.xorDeltaKernel(this.x + quarter, this.x, quarter, this.delta);
    this.xorDeltaKernel(this.x + 3 * quarter, this.x + 2 * quarter, quarter, this.delta);
    this.hashAll(4 * quarter, firstGate, [0, 0, 1, 1]);
    this.garbleKernel(this.x, this.t, this.q, this.out, this.tables, quarter, this.delta);
    output.set(this.bytes.subarray(this.out, this.out + quarter));
    tables.set(this.bytes.subarray(this.tables, this.tables + 2 * quarter));
  }

  /** Evaluates a batch: held labels a, b and tables TG ‖ TE in, C labels out, with the garbler's tweaks. */
  evaluate(a: Uint8Array, b: Uint8Array, output: Uint8Array, tables: Uint8Array, firstGate: number): void {
    const quarter = this.checkBatch(a, b);
    if (tables.length !== 2 * quarter) throw new RangeError(`expected ${2 * quarter} table bytes, got ${tables.length}`);
    this.bytes.set(a, this.x);
    this.bytes.set(b, this.x + quarter);
    this.bytes.set(tables, this.tables);
    this.hashAll(2 * quarter, firstGate, [0, 1]);
    this.evaluateKernel(this.x, this.t, this.q, this.out, this.tables, quarter);
    output.set(this.bytes.subarray(this.out, this.out + quarter));
  }

  /**
   * Q = π(π(X) ⊕ tweaks) and T = π(X) over the first `bytes` of X, whose quarters take tweak 2g + odd[k]:
   * then H = Q ⊕ T. The tweaks go into T for the second pass and out again after it.
   */
  private hashAll(bytes: number, firstGate: number, odd: readonly number[]): void {
    const quarter = bytes / odd.length;
    const first = 2 * firstGate;
    const tweak = () => odd.forEach((bit, index) => this.addTweaksKernel(this.t + index * quarter, quarter, first % TWO_TO_32, Math.floor(first / TWO_TO_32), bit));
    this.bytes.set(this.permute(this.bytes.subarray(this.x, this.x + bytes)), this.t);
    tweak();
    this.bytes.set(this.permute(this.bytes.subarray(this.t, this.t + bytes)), this.q);
    tweak();
  }

  private checkBatch(a: Uint8Array, b: Uint8Array): number {
    if (a.length !== b.length || a.length === 0 || a.length % 16 !== 0 || a.length > this.maxQuarter) throw new RangeError(`a batch holds 1 to ${this.maxQuarter / 16} pairs of labels`);
    return a.length;
  }
}
