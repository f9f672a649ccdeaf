/**
 * Just enough of a WebAssembly binary encoder to assemble SIMD kernels at load time (the OT extension's and
 * the half-gates loops; no build step, no extra dependency): LEB128 numbers, sections, and the handful of
 * opcodes used.
 */

export const unsignedLeb = (value: number): number[] => {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
};
export const signedLeb = (value: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};
export const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
export const name = (text: string): number[] => vector([...text].map((char) => [char.charCodeAt(0)]));
export const section = (id: number, bytes: number[]): number[] => [id, ...unsignedLeb(bytes.length), ...bytes];

export const I32 = 0x7f;
export const V128 = 0x7b;
export const simd = (opcode: number): number[] => [0xfd, ...unsignedLeb(opcode)];
export const get = (local: number): number[] => [0x20, ...unsignedLeb(local)];
export const set = (local: number): number[] => [0x21, ...unsignedLeb(local)];
export const tee = (local: number): number[] => [0x22, ...unsignedLeb(local)];
export const constant = (value: number): number[] => [0x41, ...signedLeb(value)];
export const add = [0x6a];
export const multiply = [0x6c];
export const shiftLeft = [0x74];
export const notEqual = [0x47];
export const loopStart = [0x03, 0x40];
export const end = [0x0b];
export const branchIf = (depth: number): number[] => [0x0d, depth];
export const loadVector = [...simd(0x00), 4, 0]; // v128.load align=16, offset 0
export const bytesBitmask = simd(0x64); // i8x16.bitmask
export const bytesAdd = simd(0x6e); // i8x16.add: v + v shifts every byte left by one
export const store16 = (offset: number): number[] => [0x3b, 1, ...unsignedLeb(offset)]; // i32.store16
export const shuffle = (lanes: number[]): number[] => [...simd(0x0d), ...lanes];
export const INTERLEAVE_LOW = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
export const INTERLEAVE_HIGH = [8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31];

export const subtract = [0x6b];
export const shiftRightUnsigned = [0x76];
export const bitAnd = [0x71];
export const loadByte = [0x2d, 0, 0]; // i32.load8_u align=1 offset 0
export const storeVector = [...simd(0x0b), 4, 0]; // v128.store align=16 offset 0
export const vectorXor = simd(0x51);
export const vectorAnd = simd(0x4e);
export const splatWord = simd(0x11); // i32x4.splat
export const loadWord = [0x28, 2, 0]; // i32.load align=4 offset 0
export const loadVectorAt = (offset: number): number[] => [...simd(0x00), 4, ...unsignedLeb(offset)]; // v128.load align=16
export const storeVectorAt = (offset: number): number[] => [...simd(0x0b), 4, ...unsignedLeb(offset)]; // v128.store align=16
export const vectorConstant = (bytes: number[]): number[] => [...simd(0x0c), ...bytes]; // v128.const, 16 bytes
export const replaceWordLane = (lane: number): number[] => [...simd(0x1c), lane]; // i32x4.replace_lane
export const vectorAdd64 = simd(0xce); // i64x2.add
export const bitOr = [0x72];

export interface FunctionDefinition {
  name: string;
  parameterCount: number; // all i32
  i32Locals: number;
  v128Locals: number;
  code: number[];
}

/** A module importing `env.memory` and exporting the given functions (i32 parameters, no results). */
export function assembleModule(functions: FunctionDefinition[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(Array.from({ length: f.parameterCount }, () => [I32])), ...vector([])]);
  const bodies = functions.map((f) => {
    const locals = vector([[...unsignedLeb(f.i32Locals), I32], [...unsignedLeb(f.v128Locals), V128]]);
    const body = [...locals, ...f.code, ...end];
    return [...unsignedLeb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vector(functions.map((_, index) => unsignedLeb(index)))),
    ...section(7, vector(functions.map((f, index) => [...name(f.name), 0x00, ...unsignedLeb(index)]))),
    ...section(10, vector(bodies)),
  ]);
}
