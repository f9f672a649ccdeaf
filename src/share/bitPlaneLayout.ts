/**
 * Between the file layout (rows of packed bits) and the circuit layout (bit-planes: bit j of every row,
 * then bit j+1 …), one byte (0 or 1) per wire. Shares transpose like plaintext, since XOR is bitwise.
 */

/** Row-major packed records → plane-major bits: output[j * rows + r] = bit j of row r. */
export function rowsToBitPlanes(data: Uint8Array, rows: number, rowBytes: number, rowBits: number): Uint8Array {
  if (data.length !== rows * rowBytes) throw new RangeError(`expected ${rows} rows of ${rowBytes} bytes, got ${data.length} bytes`);
  const planes = new Uint8Array(rowBits * rows);
  for (let row = 0; row < rows; row++) {
    const base = row * rowBytes;
    for (let bit = 0; bit < rowBits; bit++) {
      planes[bit * rows + row] = (data[base + (bit >>> 3)] >>> (bit & 7)) & 1;
    }
  }
  return planes;
}

/** Plane-major bits → row-major packed records (padding bits zero). */
export function bitPlanesToRows(planes: Uint8Array, rows: number, rowBytes: number, rowBits: number): Uint8Array {
  return bitPlanePartsToRows([planes], rows, rowBytes, rowBits);
}

/**
 * bitPlanesToRows of planes given as consecutive parts (each whole planes of `rows` bits), without joining
 * them first: at pilot scale the output's shares are hundreds of megabytes, one byte per wire.
 */
export function bitPlanePartsToRows(parts: readonly Uint8Array[], rows: number, rowBytes: number, rowBits: number): Uint8Array {
  const bits = parts.reduce((sum, part) => sum + part.length, 0);
  if (bits !== rows * rowBits || parts.some((part) => rows > 0 && part.length % rows !== 0)) throw new RangeError(`expected ${rows} × ${rowBits} bits in whole planes, got ${bits}`);
  const data = new Uint8Array(rows * rowBytes);
  if (rows === 0) return data;
  let bit = 0;
  for (const part of parts) {
    for (let plane = 0; plane < part.length / rows; plane++, bit++) {
      const byte = bit >>> 3;
      const shift = bit & 7;
      for (let row = 0, at = plane * rows; row < rows; row++, at++) data[row * rowBytes + byte] |= (part[at] & 1) << shift;
    }
  }
  return data;
}
