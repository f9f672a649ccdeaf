/**
 * Parses the schema language of TABLES.sql: `CREATE TABLE name (column TYPE [CHECK (…)], …, [CHECK (…)]);`.
 * A CHECK bounds an integer column: `x BETWEEN a AND b`, `x >= a`, `x <= b`, and `SUM(x) <= n` (one partner's
 * values add up to at most n), joined by AND; or lists a string column's values: `x IN ('a', 'b', …)`, which
 * codes the column as an index into them. `catalyst share` enforces them and the circuit is sized by them.
 */
import { InputError } from "./errors.js";
import { boundsProblem, checkSchema, compareStrings, parseTypeName, typeRange, type Column, type TableSchema } from "./schema.js";

/** Column names the query language adds itself, so a table may not declare them. */
export const RESERVED_COLUMNS = new Set(["_site"]);

interface Token {
  kind: "word" | "number" | "string" | "symbol" | "end";
  text: string;
  line: number;
  column: number;
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (index < text.length) {
    const char = text[index];
    if (char === "\n") { line++; index++; lineStart = index; continue; }
    if (/\s/.test(char)) { index++; continue; }
    if (text.startsWith("--", index)) { while (index < text.length && text[index] !== "\n") index++; continue; }
    if (text.startsWith("/*", index)) {
      const end = text.indexOf("*/", index + 2);
      if (end < 0) throw new InputError("comment is never closed (missing */)", { file, line, column: index - lineStart + 1 });
      for (let i = index; i < end; i++) if (text[i] === "\n") { line++; lineStart = i + 1; }
      index = end + 2;
      continue;
    }
    const column = index - lineStart + 1;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index, index + 256));
    if (word) { tokens.push({ kind: "word", text: word[0], line, column }); index += word[0].length; continue; }
    if (char === "'") {
      // A quote inside is written twice, as in SQL.
      let value = "";
      let end = index + 1;
      for (;;) {
        if (end >= text.length || text[end] === "\n") throw new InputError("string is never closed (missing ')", { file, line, column });
        if (text[end] === "'") {
          if (text[end + 1] !== "'") break;
          end++;
        }
        value += text[end++];
      }
      tokens.push({ kind: "string", text: value, line, column });
      index = end + 1;
      continue;
    }
    const number = /^[0-9]+/.exec(text.slice(index, index + 32));
    if (number) { tokens.push({ kind: "number", text: number[0], line, column }); index += number[0].length; continue; }
    if ("(),;:<>=-".includes(char)) { tokens.push({ kind: "symbol", text: char, line, column }); index++; continue; }
    throw new InputError(`unexpected character "${char}"`, { file, line, column });
  }
  tokens.push({ kind: "end", text: "end of file", line, column: index - lineStart + 1 });
  return tokens;
}

/** Reads every table of a TABLES.sql text. Errors name the file, line and column. */
export function parseTablesSql(text: string, file = "TABLES.sql"): TableSchema[] {
  const tokens = tokenize(text, file);
  let position = 0;
  const peek = () => tokens[position];
  const fail = (token: Token, message: string): never => {
    throw new InputError(message, { file, line: token.line, column: token.column });
  };
  const describe = (token: Token) => (token.kind === "end" ? "end of file" : token.kind === "string" ? `'${token.text}'` : `"${token.text}"`);
  const expectSymbol = (symbol: string, what: string) => {
    const token = tokens[position++];
    if (token.kind !== "symbol" || token.text !== symbol) fail(token, `expected ${what}, found ${describe(token)}`);
  };
  const isKeyword = (token: Token, keyword: string) => token.kind === "word" && token.text.toUpperCase() === keyword;

  const expectWord = (keyword: string, what: string) => {
    const token = tokens[position++];
    if (!isKeyword(token, keyword)) fail(token, `expected ${what}, found ${describe(token)}`);
  };
  const isSymbol = (token: Token, symbol: string) => token.kind === "symbol" && token.text === symbol;
  const integer = (): bigint => {
    const negative = isSymbol(peek(), "-");
    if (negative) position++;
    const token = tokens[position++];
    if (token.kind !== "number") fail(token, `expected a whole number, found ${describe(token)}`);
    return negative ? -BigInt(token.text) : BigInt(token.text);
  };
  /** `CHECK ( term [AND term]… )`, each term one bound on a named column. */
  const check = (): Bound[] => {
    const at = tokens[position++];
    expectSymbol("(", `"(" after CHECK`);
    const bounds: Bound[] = [];
    for (;;) {
      if (isKeyword(peek(), "SUM") && isSymbol(tokens[position + 1], "(")) {
        position += 2;
        const column = tokens[position++];
        if (column.kind !== "word") fail(column, `expected a column name in SUM(…), found ${describe(column)}`);
        expectSymbol(")", `")" after SUM(${column.text}`);
        expectSymbol("<", `"<=" after SUM(${column.text})`);
        expectSymbol("=", `"<=" after SUM(${column.text})`);
        bounds.push({ at, column, kind: "sum", value: integer() });
      } else {
        const column = tokens[position++];
        if (column.kind !== "word") fail(column, `expected a column name in CHECK, found ${describe(column)}`);
        if (isKeyword(peek(), "IN")) {
          position++;
          expectSymbol("(", `"(" after IN`);
          const values: Token[] = [];
          for (;;) {
            const value = tokens[position++];
            if (value.kind !== "string") fail(value, `expected a quoted value in IN (…), found ${describe(value)}`);
            values.push(value);
            if (!isSymbol(peek(), ",")) break;
            position++;
          }
          expectSymbol(")", `")" to close IN (…)`);
          bounds.push({ at, column, kind: "values", values });
        } else if (isKeyword(peek(), "BETWEEN")) {
          position++;
          bounds.push({ at, column, kind: "min", value: integer() });
          expectWord("AND", "AND in BETWEEN … AND …");
          bounds.push({ at, column, kind: "max", value: integer() });
        } else if ((isSymbol(peek(), ">") || isSymbol(peek(), "<")) && isSymbol(tokens[position + 1], "=")) {
          const kind = peek().text === ">" ? "min" : "max";
          position += 2;
          bounds.push({ at, column, kind, value: integer() });
        } else {
          fail(peek(), `expected IN, BETWEEN, >= or <= after ${column.text} in CHECK, found ${describe(peek())}`);
        }
      }
      if (!isKeyword(peek(), "AND")) break;
      position++;
    }
    expectSymbol(")", `")" to close the CHECK`);
    return bounds;
  };

  const tables: TableSchema[] = [];
  const tableNames = new Set<string>();
  while (peek().kind !== "end") {
    if (peek().kind === "symbol" && peek().text === ";") { position++; continue; }
    if (isKeyword(peek(), "CREATE")) {
      position++;
      if (!isKeyword(peek(), "TABLE")) fail(peek(), `expected TABLE after CREATE, found ${describe(peek())}`);
      position++;
    }
    const nameToken = tokens[position++];
    if (nameToken.kind !== "word") fail(nameToken, `expected a table name, found ${describe(nameToken)}`);
    if (tableNames.has(nameToken.text.toLowerCase())) fail(nameToken, `table ${nameToken.text} is defined twice`);
    expectSymbol("(", `"(" after table name ${nameToken.text}`);
    const columns: Column[] = [];
    const columnNames = new Set<string>();
    const bounds: Bound[] = [];
    for (;;) {
      if (isKeyword(peek(), "CHECK") && isSymbol(tokens[position + 1], "(")) {
        bounds.push(...check());
        const separator = tokens[position++];
        if (isSymbol(separator, ",")) continue;
        if (isSymbol(separator, ")")) break;
        fail(separator, `expected "," or ")" after a CHECK, found ${describe(separator)}`);
      }
      const columnToken = tokens[position++];
      if (columnToken.kind !== "word") fail(columnToken, `expected a column name in table ${nameToken.text}, found ${describe(columnToken)}`);
      if (RESERVED_COLUMNS.has(columnToken.text.toLowerCase())) fail(columnToken, `column name ${columnToken.text} is reserved (Catalyst adds it to every table)`);
      if (columnNames.has(columnToken.text.toLowerCase())) fail(columnToken, `column ${columnToken.text} appears twice in table ${nameToken.text}`);
      if (peek().kind === "symbol" && peek().text === ":") position++;
      const typeToken = tokens[position++];
      if (typeToken.kind !== "word") fail(typeToken, `expected a type for column ${columnToken.text}, found ${describe(typeToken)}`);
      let typeText = typeToken.text;
      if (peek().kind === "symbol" && peek().text === "(") {
        position++;
        const lengthToken = tokens[position++];
        if (lengthToken.kind !== "number") fail(lengthToken, `expected a length in ${typeToken.text}(…), found ${describe(lengthToken)}`);
        expectSymbol(")", `")" after the length of ${typeToken.text}`);
        typeText += `(${lengthToken.text})`;
      }
      const type = parseTypeName(typeText);
      if (!type) fail(typeToken, `unknown or invalid type ${typeText} for column ${columnToken.text}; expected INT32, INT64, BOOL, CHAR(n) or VARCHAR(n) with 1 ≤ n ≤ 4096`);
      columns.push({ name: columnToken.text, type: type! });
      columnNames.add(columnToken.text.toLowerCase());
      while (isKeyword(peek(), "CHECK")) {
        const own = check();
        const other = own.find((bound) => bound.column.text.toLowerCase() !== columnToken.text.toLowerCase());
        if (other) fail(other.column, `a CHECK after column ${columnToken.text} may only name ${columnToken.text}; bound ${other.column.text} in its own column or in a table CHECK`);
        bounds.push(...own);
      }
      const separator = tokens[position++];
      if (separator.kind === "symbol" && separator.text === ",") continue;
      if (separator.kind === "symbol" && separator.text === ")") break;
      fail(separator, `expected "," or ")" after column ${columnToken.text}, found ${describe(separator)}`);
    }
    applyBounds(columns, bounds, nameToken.text, fail);
    const schema = { name: nameToken.text, columns };
    checkSchema(schema, file);
    tables.push(schema);
    tableNames.add(nameToken.text.toLowerCase());
  }
  if (tables.length === 0) throw new InputError("no CREATE TABLE statement found", { file, line: 1, column: 1 });
  return tables;
}

/** One term of a CHECK: a least or greatest value, a bound on one partner's total, or a list of values. */
type Bound = { at: Token; column: Token } & ({ kind: "min" | "max" | "sum"; value: bigint } | { kind: "values"; values: Token[] });

/** Narrows each named column by its bounds (several CHECKs on one column all hold). */
function applyBounds(columns: Column[], bounds: Bound[], table: string, fail: (token: Token, message: string) => never): void {
  for (const bound of bounds) {
    const column = columns.find((candidate) => candidate.name.toLowerCase() === bound.column.text.toLowerCase());
    if (!column) fail(bound.column, `CHECK names ${bound.column.text}, which is not a column of table ${table}`);
    if (bound.kind === "values") {
      if (column!.type.kind !== "char" && column!.type.kind !== "varchar") fail(bound.column, `CHECK (… IN (…)) lists values of CHAR and VARCHAR columns only; ${column!.name} is not one`);
      if (column!.values) fail(bound.at, `${column!.name} already lists its values in a CHECK`);
      const seen = new Set<string>();
      for (const value of bound.values) {
        if (seen.has(value.text)) fail(value, `'${value.text}' appears twice in the CHECK on ${column!.name}`);
        seen.add(value.text);
      }
      column!.values = [...seen].sort(compareStrings);
      continue;
    }
    const full = typeRange(column!.type);
    if (!full || column!.type.kind === "int") fail(bound.column, `CHECK bounds only INT32 and INT64 columns; ${column!.name} is not one`);
    if (bound.kind === "sum") {
      column!.sumAtMost = column!.sumAtMost === undefined || bound.value < column!.sumAtMost ? bound.value : column!.sumAtMost;
    } else {
      const range = column!.range ?? { ...full! };
      if (bound.kind === "min" && bound.value > range.min) range.min = bound.value;
      if (bound.kind === "max" && bound.value < range.max) range.max = bound.value;
      column!.range = range;
    }
  }
  // A conflict shows at the column's last CHECK, the one that made it.
  for (const bound of [...bounds].reverse()) {
    const column = columns.find((candidate) => candidate.name.toLowerCase() === bound.column.text.toLowerCase())!;
    const problem = boundsProblem(column);
    if (problem) fail(bound.at, problem);
  }
}
