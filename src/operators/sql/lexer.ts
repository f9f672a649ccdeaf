/** Splits query text into tokens that remember where they start, so every error can point at one. */
import { InputError } from "../../share/errors.js";

export type TokenKind = "identifier" | "keyword" | "integer" | "string" | "symbol" | "end";

export interface Token {
  kind: TokenKind;
  /** Keywords are upper-cased; identifiers keep their spelling; strings are unquoted. */
  text: string;
  line: number;
  column: number;
  offset: number;
}

export const KEYWORDS = new Set([
  "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "AS", "JOIN", "INNER", "LEFT",
  "OUTER", "ON", "AND", "OR", "NOT", "IN", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "UNION", "ALL",
  "TRUE", "FALSE", "NULL", "IS", "DISTINCT", "WITHOUT", "SUPPRESSION",
]);

const SYMBOLS = ["<>", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "(", ")", ",", ".", ";"];

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let index = 0;
  const at = (offset: number) => ({ file, line, column: offset - lineStart + 1 });
  while (index < text.length) {
    const char = text[index];
    if (char === "\n") { line++; index++; lineStart = index; continue; }
    if (/\s/.test(char)) { index++; continue; }
    if (text.startsWith("--", index)) { while (index < text.length && text[index] !== "\n") index++; continue; }
    if (text.startsWith("/*", index)) {
      const end = text.indexOf("*/", index + 2);
      if (end < 0) throw new InputError("comment is never closed (missing */)", at(index));
      for (let i = index; i < end; i++) if (text[i] === "\n") { line++; lineStart = i + 1; }
      index = end + 2;
      continue;
    }
    const start = index;
    if (/[A-Za-z_]/.test(char)) {
      while (index < text.length && /[A-Za-z0-9_]/.test(text[index])) index++;
      const word = text.slice(start, index);
      const upper = word.toUpperCase();
      tokens.push({ kind: KEYWORDS.has(upper) ? "keyword" : "identifier", text: KEYWORDS.has(upper) ? upper : word, line, column: start - lineStart + 1, offset: start });
      continue;
    }
    if (char === '"') {
      // A quoted identifier lets a column be named like a keyword ("desc").
      const end = text.indexOf('"', index + 1);
      if (end < 0) throw new InputError("quoted name is never closed", at(index));
      tokens.push({ kind: "identifier", text: text.slice(index + 1, end), line, column: start - lineStart + 1, offset: start });
      index = end + 1;
      continue;
    }
    if (/[0-9]/.test(char)) {
      while (index < text.length && /[0-9]/.test(text[index])) index++;
      if (index < text.length && /[A-Za-z_.]/.test(text[index])) throw new InputError(`"${text.slice(start, index + 1)}" is not a whole number (only integer literals are supported)`, at(start));
      tokens.push({ kind: "integer", text: text.slice(start, index), line, column: start - lineStart + 1, offset: start });
      continue;
    }
    if (char === "'") {
      const startLine = line;
      const startColumn = start - lineStart + 1;
      let value = "";
      index++;
      for (;;) {
        if (index >= text.length) throw new InputError("string literal is never closed (missing ')", at(start));
        if (text[index] === "'") {
          if (text[index + 1] === "'") { value += "'"; index += 2; continue; }
          index++;
          break;
        }
        if (text[index] === "\n") { line++; lineStart = index + 1; }
        value += text[index++];
      }
      tokens.push({ kind: "string", text: value, line: startLine, column: startColumn, offset: start });
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, index));
    if (!symbol) throw new InputError(`unexpected character "${char}"`, at(index));
    tokens.push({ kind: "symbol", text: symbol === "!=" ? "<>" : symbol, line, column: start - lineStart + 1, offset: start });
    index += symbol.length;
  }
  tokens.push({ kind: "end", text: "end of query", line, column: index - lineStart + 1, offset: index });
  return tokens;
}
