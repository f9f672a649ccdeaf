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
  if (planes.length !== rows * rowBits) throw new RangeError(`expected ${rows} × ${rowBits} bits, got ${planes.length}`);
  const data = new Uint8Array(rows * rowBytes);
  for (let bit = 0; bit < rowBits; bit++) {
    const plane = bit * rows;
    const byte = bit >>> 3;
    const shift = bit & 7;
    for (let row = 0; row < rows; row++) data[row * rowBytes + byte] |= (planes[plane + row] & 1) << shift;
  }
  return data;
}
