import { describe, expect, it } from "@jest/globals";
import { randomFillSync } from "node:crypto";
import { OtExtensionKernels } from "../../src/ot/simdKernels.js";
import { rowViews, transpose128Reference } from "../../src/ot/transpose.js";

const words = (bytes: Uint8Array): Uint32Array => new Uint32Array(bytes.slice().buffer);

describe("WebAssembly SIMD kernels of the OT extension", () => {
  it.each([16, 48, 1024])("transposes exactly like the bit-by-bit reference (rows of %i bytes)", (rowBytes) => {
    const kernels = new OtExtensionKernels();
    kernels.prepare(rowBytes);
    randomFillSync(kernels.matrix);
    kernels.transpose();
    const wordsPerRow = rowBytes / 4;
    const reference = new Uint32Array(rowBytes * 8 * 4);
    transpose128Reference(rowViews(words(kernels.matrix), wordsPerRow), wordsPerRow, reference);
    expect(Array.from(words(kernels.blocks))).toEqual(Array.from(reference));
  });

  it("keeps working when the chunk size changes (memory grows, views move)", () => {
    const kernels = new OtExtensionKernels();
    for (const rowBytes of [32, 8192, 64]) {
      kernels.prepare(rowBytes);
      randomFillSync(kernels.matrix);
      kernels.transpose();
      const reference = new Uint32Array(rowBytes * 32);
      transpose128Reference(rowViews(words(kernels.matrix), rowBytes / 4), rowBytes / 4, reference);
      expect(Buffer.from(kernels.blocks).equals(Buffer.from(reference.buffer))).toBe(true);
    }
  });

  it("computes the receiver's correction rows and the sender's masked rows", () => {
    const kernels = new OtExtensionKernels();
    const rowBytes = 64;
    kernels.prepare(rowBytes);
    randomFillSync(kernels.matrix);
    randomFillSync(kernels.secondMatrix);
    randomFillSync(kernels.extraRow);
    const matrix = kernels.matrix.slice();
    const second = kernels.secondMatrix.slice();
    const row = kernels.extraRow.slice();
    kernels.xorMatrixAndExtraRowIntoSecond();
    for (let k = 0; k < second.length; k++) expect(kernels.secondMatrix[k]).toBe(second[k] ^ matrix[k] ^ row[k % rowBytes]);

    const updatedSecond = kernels.secondMatrix.slice();
    kernels.xorSecondIntoMatrixWhereBitSet();
    for (let k = 0; k < matrix.length; k++) {
      const j = Math.floor(k / rowBytes);
      const bit = (row[j >> 3] >> (j & 7)) & 1;
      expect(kernels.matrix[k]).toBe(matrix[k] ^ (bit ? updatedSecond[k] : 0));
    }
  });
});
