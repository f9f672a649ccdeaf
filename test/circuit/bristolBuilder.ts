/** Writes small Bristol Fashion circuits for tests: gates are appended in order, outputs copied to the last wires. */
export class BristolBuilder {
  private readonly lines: string[] = [];
  private nextWire: number;
  private readonly inputStarts: number[] = [];

  constructor(private readonly inputBits: number[]) {
    let start = 0;
    for (const bits of inputBits) { this.inputStarts.push(start); start += bits; }
    this.nextWire = start;
  }

  /** Wires of input `index`, least significant bit first. */
  input(index: number): number[] {
    return Array.from({ length: this.inputBits[index] }, (_, k) => this.inputStarts[index] + k);
  }

  private gate(inputs: number[], outputs: number, operation: string): number[] {
    const wires = Array.from({ length: outputs }, () => this.nextWire++);
    this.lines.push(`${inputs.length} ${outputs} ${inputs.join(" ")} ${wires.join(" ")} ${operation}`);
    return wires;
  }

  xor(a: number, b: number): number { return this.gate([a, b], 1, "XOR")[0]; }
  and(a: number, b: number): number { return this.gate([a, b], 1, "AND")[0]; }
  inv(a: number): number { return this.gate([a], 1, "INV")[0]; }
  constant(bit: 0 | 1): number { return this.gate([bit], 1, "EQ")[0]; }
  /** Several ANDs on one line. */
  mand(lefts: number[], rights: number[]): number[] { return this.gate([...lefts, ...rights], lefts.length, "MAND"); }

  /** The file text, with every output wire copied (EQW) to the end of the wire range. */
  build(outputs: number[][]): string {
    for (const output of outputs) for (const wire of output) this.gate([wire], 1, "EQW");
    const header = [
      `${this.lines.length} ${this.nextWire}`,
      `${this.inputBits.length} ${this.inputBits.join(" ")}`,
      `${outputs.length} ${outputs.map((output) => output.length).join(" ")}`,
      "",
    ];
    return [...header, ...this.lines, ""].join("\n");
  }
}

/** a + b: the w-bit sum and the carry out, in XOR/AND/EQ gates. */
export function adderCircuit(width: number): string {
  const builder = new BristolBuilder([width, width]);
  const a = builder.input(0);
  const b = builder.input(1);
  let carry = builder.constant(0);
  const sum: number[] = [];
  for (let i = 0; i < width; i++) {
    const ac = builder.xor(a[i], carry);
    sum.push(builder.xor(ac, b[i]));
    carry = builder.xor(carry, builder.and(ac, builder.xor(b[i], carry)));
  }
  return builder.build([sum, [carry]]);
}

/** a < b and a == b (unsigned), using INV for the complements. */
export function comparatorCircuit(width: number): string {
  const builder = new BristolBuilder([width, width]);
  const a = builder.input(0);
  const b = builder.input(1);
  let borrow = builder.constant(0);
  let same = builder.constant(1);
  for (let i = 0; i < width; i++) {
    borrow = builder.xor(borrow, builder.and(builder.inv(builder.xor(a[i], borrow)), builder.xor(b[i], borrow)));
    same = builder.and(same, builder.inv(builder.xor(a[i], b[i])));
  }
  return builder.build([[borrow], [same]]);
}

/** a · b mod 2^w, with each partial product as one MAND line. */
export function multiplierCircuit(width: number): string {
  const builder = new BristolBuilder([width, width]);
  const a = builder.input(0);
  const b = builder.input(1);
  let accumulator = builder.mand(a, a.map(() => b[0]));
  for (let i = 1; i < width; i++) {
    const partial = builder.mand(a.slice(0, width - i), a.slice(0, width - i).map(() => b[i]));
    let carry = builder.constant(0);
    const high: number[] = [];
    for (let k = 0; k < width - i; k++) {
      const x = accumulator[i + k];
      const xc = builder.xor(x, carry);
      high.push(builder.xor(xc, partial[k]));
      carry = builder.xor(carry, builder.and(xc, builder.xor(partial[k], carry)));
    }
    accumulator = [...accumulator.slice(0, i), ...high];
  }
  return builder.build([accumulator]);
}
