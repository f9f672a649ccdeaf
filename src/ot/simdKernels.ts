/**
 * The OT extension's hot loops as WebAssembly SIMD kernels (v128), assembled at load time by wasmAssembler.ts.
 * Profiling the pure-JS version showed the 128×m transpose and the per-row XOR loops dominating both parties;
 * here the transpose runs about 4× faster than transpose.ts (kept as the readable reference the tests
 * compare against) and the XORs work on 16 bytes at a time.
 *
 * Memory layout for rows of R bytes (R a multiple of 16; M = 128·R, the matrix size):
 *   [0, M)       matrix: 128 rows, row j = base OT j        (t_j for the receiver, q_j for the sender)
 *   [M, 2M)      transposed blocks: m = 8R blocks of 16 bytes
 *   [2M, 3M)     second matrix                              (G(k_j^1) → correction u_j; or the received u_j)
 *   [3M, 3M+R)   one row of choice bits, or Δ in the first 16 bytes
 *
 * Transpose method (as EMP's sse_trans, with a byte transpose first so loads are whole vectors): for each
 * group of 16 rows and 16 byte-columns, load 16 vectors (one per row), transpose the 16×16 bytes with four
 * rounds of byte interleaving (i8x16.shuffle), then per byte-column take i8x16.bitmask (the top bit of each
 * row's byte) eight times, doubling the vector in between. Each bitmask is 16 bits of one output block.
 */
import {
  add,
  assembleModule,
  bitAnd,
  branchIf,
  bytesAdd,
  bytesBitmask,
  constant,
  end,
  get,
  INTERLEAVE_HIGH,
  INTERLEAVE_LOW,
  loadByte,
  loadVector,
  loopStart,
  multiply,
  notEqual,
  set,
  shiftLeft,
  shiftRightUnsigned,
  shuffle,
  splatWord,
  store16,
  storeVector,
  subtract,
  tee,
  vectorAnd,
  vectorXor,
  type FunctionDefinition,
} from "./wasmAssembler.js";

/** transpose(matrix, rowBytes, blocks). */
function transposeFunction(): FunctionDefinition {
  // Parameters 0 matrix, 1 rowBytes, 2 blocks; i32 locals 3 group, 4 byteColumn, 5 pointer, 6 outputBase,
  // 7 groupBase; v128 locals 8..23 (vectors a) and 24..39 (vectors b).
  const group = 3, byteColumn = 4, pointer = 5, outputBase = 6, groupBase = 7;
  const a = (i: number): number => 8 + i;
  const b = (i: number): number => 24 + i;
  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const part of parts) code.push(...part);
  };
  emit(constant(0), set(group), loopStart);
  emit(get(0), get(group), get(1), multiply, constant(4), shiftLeft, add, set(groupBase));
  emit(constant(0), set(byteColumn), loopStart);
  // Load 16 bytes at this byte-column from each of the group's 16 rows.
  emit(get(groupBase), get(byteColumn), add, set(pointer));
  for (let row = 0; row < 16; row++) {
    emit(get(pointer), loadVector, set(a(row)));
    if (row < 15) emit(get(pointer), get(1), add, set(pointer));
  }
  // Four interleaving rounds transpose the 16×16 bytes: afterwards vector c holds byte-column c of rows 0..15.
  for (let round = 0; round < 4; round++) {
    const from = round % 2 === 0 ? a : b;
    const to = round % 2 === 0 ? b : a;
    for (let i = 0; i < 8; i++) {
      emit(get(from(i)), get(from(i + 8)), shuffle(INTERLEAVE_LOW), set(to(2 * i)));
      emit(get(from(i)), get(from(i + 8)), shuffle(INTERLEAVE_HIGH), set(to(2 * i + 1)));
    }
  }
  // The block of bit-column 8·(byteColumn + c) + bit gets 16 bits at byte offset 2·group.
  emit(get(2), get(byteColumn), constant(7), shiftLeft, add, get(group), constant(1), shiftLeft, add, set(outputBase));
  for (let c = 0; c < 16; c++) {
    for (let bit = 7; bit >= 0; bit--) {
      emit(get(outputBase), get(a(c)), bytesBitmask, store16(c * 128 + bit * 16));
      if (bit > 0) emit(get(a(c)), get(a(c)), bytesAdd, set(a(c)));
    }
  }
  emit(get(byteColumn), constant(16), add, tee(byteColumn), get(1), notEqual, branchIf(0), end);
  emit(get(group), constant(1), add, tee(group), constant(8), notEqual, branchIf(0), end);
  return { name: "transpose", parameterCount: 3, i32Locals: 5, v128Locals: 32, code };
}

/**
 * Row loop shared by the two XOR kernels: for each of the 128 rows and each 16-byte offset, `inner` computes
 * target ^= f(source, extra) with pointers in locals target (0), source (1) and the current offset.
 */
function rowLoop(name: string, perRow: number[], inner: (targetPointer: number[], sourcePointer: number[], offset: number) => number[], v128Locals: number): FunctionDefinition {
  // Parameters 0 target, 1 source, 2 extra, 3 rowBytes; i32 locals 4 row, 5 offset.
  const row = 4, offset = 5;
  const code = [
    ...constant(0), ...set(row), ...loopStart,
    ...perRow,
    ...constant(0), ...set(offset), ...loopStart,
    ...inner([...get(0), ...get(offset), ...add], [...get(1), ...get(offset), ...add], offset),
    ...get(offset), ...constant(16), ...add, ...tee(offset), ...get(3), ...notEqual, ...branchIf(0), ...end,
    ...get(0), ...get(3), ...add, ...set(0),
    ...get(1), ...get(3), ...add, ...set(1),
    ...get(row), ...constant(1), ...add, ...tee(row), ...constant(128), ...notEqual, ...branchIf(0), ...end,
  ];
  return { name, parameterCount: 4, i32Locals: 2, v128Locals, code };
}

/** xorRowsAndRow(target, source, row, rowBytes): target_j ^= source_j ^ row for all 128 rows. */
function xorRowsAndRowFunction(): FunctionDefinition {
  return rowLoop("xorRowsAndRow", [], (target, source, offset) => [
    ...target,
    ...target, ...loadVector,
    ...source, ...loadVector,
    ...vectorXor,
    ...get(2), ...get(offset), ...add, ...loadVector,
    ...vectorXor,
    ...storeVector,
  ], 0);
}

/** xorRowsMasked(target, source, bits, rowBytes): target_j ^= source_j where bit j of `bits` is set. */
function xorRowsMaskedFunction(): FunctionDefinition {
  const row = 4, mask = 6;
  // mask = splat(0 − bit j): all ones or all zeros, so no branch depends on Δ.
  const perRow = [
    ...constant(0),
    ...get(2), ...get(row), ...constant(3), ...shiftRightUnsigned, ...add, ...loadByte,
    ...get(row), ...constant(7), ...bitAnd, ...shiftRightUnsigned, ...constant(1), ...bitAnd,
    ...subtract, ...splatWord, ...set(mask),
  ];
  return rowLoop("xorRowsMasked", perRow, (target, source) => [
    ...target,
    ...target, ...loadVector,
    ...source, ...loadVector,
    ...get(mask), ...vectorAnd,
    ...vectorXor,
    ...storeVector,
  ], 1);
}

let compiled: WebAssembly.Module | null = null;

type KernelFunction = (first: number, second: number, third: number, fourth?: number) => void;

/** One instance per OT extension party: owns a memory laid out for the current chunk size. */
export class OtExtensionKernels {
  private readonly memory: WebAssembly.Memory;
  private readonly transposeKernel: KernelFunction;
  private readonly xorRowsAndRowKernel: KernelFunction;
  private readonly xorRowsMaskedKernel: KernelFunction;
  private rowBytes = 0;
  /** 128 rows of rowBytes, contiguous. The transpose reads it. */
  matrix: Uint8Array = new Uint8Array(0);
  /** The transposed blocks (16 bytes per OT). */
  blocks: Uint8Array = new Uint8Array(0);
  /** A second 128-row matrix, the other operand of the XOR kernels. */
  secondMatrix: Uint8Array = new Uint8Array(0);
  /** One row (choice bits) or a 16-byte value (Δ). */
  extraRow: Uint8Array = new Uint8Array(0);

  constructor() {
    compiled ??= new WebAssembly.Module(assembleModule([transposeFunction(), xorRowsAndRowFunction(), xorRowsMaskedFunction()]));
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory: this.memory } });
    this.transposeKernel = exports.transpose as KernelFunction;
    this.xorRowsAndRowKernel = exports.xorRowsAndRow as KernelFunction;
    this.xorRowsMaskedKernel = exports.xorRowsMasked as KernelFunction;
  }

  /** Lays the memory out for rows of `rowBytes` (a positive multiple of 16); the views change only when it does. */
  prepare(rowBytes: number): void {
    if (rowBytes % 16 !== 0 || rowBytes <= 0) throw new RangeError("kernel rows must be a positive multiple of 16 bytes");
    if (rowBytes === this.rowBytes) return;
    const matrixBytes = 128 * rowBytes;
    const needed = 3 * matrixBytes + Math.max(rowBytes, 16);
    const pages = Math.ceil(needed / 65536);
    const current = this.memory.buffer.byteLength / 65536;
    if (pages > current) this.memory.grow(pages - current);
    this.rowBytes = rowBytes;
    const buffer = this.memory.buffer;
    this.matrix = new Uint8Array(buffer, 0, matrixBytes);
    this.blocks = new Uint8Array(buffer, matrixBytes, matrixBytes);
    this.secondMatrix = new Uint8Array(buffer, 2 * matrixBytes, matrixBytes);
    this.extraRow = new Uint8Array(buffer, 3 * matrixBytes, Math.max(rowBytes, 16));
  }

  /** blocks ← transpose(matrix). */
  transpose(): void {
    this.transposeKernel(0, this.rowBytes, this.blocks.byteOffset);
  }

  /** secondMatrix_j ^= matrix_j ^ extraRow, for every row j (the receiver's correction u_j = t_j ^ G(k_j^1) ^ r). */
  xorMatrixAndExtraRowIntoSecond(): void {
    this.xorRowsAndRowKernel(this.secondMatrix.byteOffset, 0, this.extraRow.byteOffset, this.rowBytes);
  }

  /** matrix_j ^= secondMatrix_j where bit j of extraRow is set (the sender's q_j = G(k_j^{Δ_j}) ^ Δ_j·u_j). */
  xorSecondIntoMatrixWhereBitSet(): void {
    this.xorRowsMaskedKernel(0, this.secondMatrix.byteOffset, this.extraRow.byteOffset, this.rowBytes);
  }
}
