/** Parses the schema language of TABLES.sql: `CREATE TABLE name (column TYPE, …);` statements. */
import { InputError } from "./errors.js";
import { checkSchema, parseTypeName, type Column, type TableSchema } from "./schema.js";

/** Column names the query language adds itself, so a table may not declare them. */
export const RESERVED_COLUMNS = new Set(["_site"]);

interface Token {
  kind: "word" | "number" | "symbol" | "end";
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
    const number = /^[0-9]+/.exec(text.slice(index, index + 32));
    if (number) { tokens.push({ kind: "number", text: number[0], line, column }); index += number[0].length; continue; }
    if ("(),;:".includes(char)) { tokens.push({ kind: "symbol", text: char, line, column }); index++; continue; }
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
  const describe = (token: Token) => (token.kind === "end" ? "end of file" : `"${token.text}"`);
  const expectSymbol = (symbol: string, what: string) => {
    const token = tokens[position++];
    if (token.kind !== "symbol" || token.text !== symbol) fail(token, `expected ${what}, found ${describe(token)}`);
  };
  const isKeyword = (token: Token, keyword: string) => token.kind === "word" && token.text.toUpperCase() === keyword;

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
    for (;;) {
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
      const separator = tokens[position++];
      if (separator.kind === "symbol" && separator.text === ",") continue;
      if (separator.kind === "symbol" && separator.text === ")") break;
      fail(separator, `expected "," or ")" after column ${columnToken.text}, found ${describe(separator)}`);
    }
    const schema = { name: nameToken.text, columns };
    checkSchema(schema, file);
    tables.push(schema);
    tableNames.add(nameToken.text.toLowerCase());
  }
  if (tables.length === 0) throw new InputError("no CREATE TABLE statement found", { file, line: 1, column: 1 });
  return tables;
}
