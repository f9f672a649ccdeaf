/** A recursive-descent parser for Catalyst's SQL subset; anything outside it is rejected at its token. */
import { InputError } from "../../share/errors.js";
import { parseTypeName } from "../../share/schema.js";
import type { AggregateFunction, BinaryOperator, Expression, Join, OrderItem, Position, Query, Select, SelectItem, Source } from "./ast.js";
import { tokenize, type Token } from "./lexer.js";

const AGGREGATES = new Set<AggregateFunction>(["COUNT", "SUM", "MIN", "MAX", "AVG"]);
const COMPARISONS = new Set(["=", "<>", "<", "<=", ">", ">="]);

/** The query as standard SQL for another engine (DuckDB): Catalyst's own `WITHOUT SUPPRESSION` clauses removed. */
export function standardSql(text: string, file = "query"): string {
  const tokens = tokenize(text, file);
  let result = "";
  let copied = 0;
  for (let index = 0; index + 1 < tokens.length; index++) {
    const [first, second] = [tokens[index], tokens[index + 1]];
    if (first.kind === "keyword" && first.text === "WITHOUT" && second.kind === "keyword" && second.text === "SUPPRESSION") {
      result += text.slice(copied, first.offset);
      copied = second.offset + second.text.length;
    }
  }
  return result + text.slice(copied);
}

export function parseQuery(text: string, file = "query"): Query {
  return new Parser(tokenize(text, file), file).parseWhole();
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[], private readonly file: string) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.position++;
    return token;
  }

  private at(token: Token): Position {
    return { line: token.line, column: token.column };
  }

  fail(token: Token, message: string): never {
    throw new InputError(message, { file: this.file, line: token.line, column: token.column }, "invalid-query");
  }

  private describe(token: Token): string {
    if (token.kind === "end") return "the end of the query";
    if (token.kind === "string") return `'${token.text}'`;
    return `"${token.text}"`;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "keyword" && token.text === word;
  }

  private isSymbol(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "symbol" && token.text === symbol;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.position++;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.position++;
    return true;
  }

  private expectKeyword(word: string, context: string): Token {
    const token = this.next();
    if (token.kind !== "keyword" || token.text !== word) this.fail(token, `expected ${word} ${context}, found ${this.describe(token)}`);
    return token;
  }

  private expectSymbol(symbol: string, context: string): Token {
    const token = this.next();
    if (token.kind !== "symbol" || token.text !== symbol) this.fail(token, `expected "${symbol}" ${context}, found ${this.describe(token)}`);
    return token;
  }

  private identifier(context: string): Token {
    const token = this.next();
    if (token.kind !== "identifier") {
      this.fail(token, token.kind === "keyword" ? `"${token.text}" is a keyword; write "${token.text.toLowerCase()}" in double quotes to use it as ${context}` : `expected ${context}, found ${this.describe(token)}`);
    }
    return token;
  }

  parseWhole(): Query {
    const query = this.query();
    this.acceptSymbol(";");
    const rest = this.peek();
    if (rest.kind !== "end") this.fail(rest, `unexpected ${this.describe(rest)} after the end of the query`);
    return query;
  }

  private query(): Query {
    const start = this.peek();
    const parts = [this.select()];
    while (this.isKeyword("UNION")) {
      const union = this.next();
      if (!this.acceptKeyword("ALL")) this.fail(this.peek(), `only UNION ALL is supported (UNION without ALL would remove duplicates); found ${this.describe(this.peek())} after ${union.text}`);
      parts.push(this.select());
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword("ORDER")) {
      this.next();
      this.expectKeyword("BY", "after ORDER");
      do {
        const token = this.peek();
        const expression = this.expression();
        let descending = false;
        if (this.acceptKeyword("DESC")) descending = true;
        else this.acceptKeyword("ASC");
        orderBy.push({ expression, descending, at: this.at(token) });
      } while (this.acceptSymbol(","));
    }
    let limit: number | undefined;
    if (this.acceptKeyword("LIMIT")) {
      const token = this.next();
      if (token.kind !== "integer") this.fail(token, `expected a whole number after LIMIT, found ${this.describe(token)}`);
      limit = Number(token.text);
      if (!Number.isSafeInteger(limit)) this.fail(token, "LIMIT is too large");
    }
    return { parts, orderBy, limit, at: this.at(start) };
  }

  private select(): Select {
    const start = this.expectKeyword("SELECT", "to start a query");
    if (this.isKeyword("DISTINCT")) this.fail(this.peek(), "SELECT DISTINCT is not supported; use GROUP BY");
    const items: SelectItem[] = [];
    do {
      const token = this.peek();
      if (this.acceptSymbol("*")) { items.push({ at: this.at(token) }); continue; }
      const expression = this.expression();
      let alias: string | undefined;
      if (this.acceptKeyword("AS")) alias = this.identifier("a column name after AS").text;
      else if (this.peek().kind === "identifier") alias = this.next().text;
      let unsuppressed: boolean | undefined;
      if (this.acceptKeyword("WITHOUT")) {
        this.expectKeyword("SUPPRESSION", "after WITHOUT");
        unsuppressed = true;
      }
      items.push({ expression, alias, ...(unsuppressed ? { unsuppressed } : {}), at: this.at(token) });
    } while (this.acceptSymbol(","));
    this.expectKeyword("FROM", "after the selected columns");
    const from = this.source();
    let join: Join | undefined;
    if (this.isKeyword("JOIN") || this.isKeyword("INNER") || this.isKeyword("LEFT")) {
      const token = this.next();
      const type = token.text === "LEFT" ? "left" : "inner";
      if (token.text === "LEFT") this.acceptKeyword("OUTER");
      if (token.text !== "JOIN") this.expectKeyword("JOIN", `after ${token.text}`);
      const source = this.source();
      this.expectKeyword("ON", "after the joined table");
      join = { type, source, on: this.expression(), at: this.at(token) };
    }
    if (this.isKeyword("JOIN") || this.isKeyword("INNER") || this.isKeyword("LEFT")) this.fail(this.peek(), "only one JOIN per SELECT is supported; join in a subquery first");
    const where = this.acceptKeyword("WHERE") ? this.expression() : undefined;
    const groupBy: Expression[] = [];
    if (this.isKeyword("GROUP")) {
      this.next();
      this.expectKeyword("BY", "after GROUP");
      do groupBy.push(this.expression()); while (this.acceptSymbol(","));
    }
    const having = this.acceptKeyword("HAVING") ? this.expression() : undefined;
    return { items, from, join, where, groupBy, having, at: this.at(start) };
  }

  private source(): Source {
    const token = this.peek();
    let source: Source;
    if (this.acceptSymbol("(")) {
      const query = this.query();
      this.expectSymbol(")", "to close the subquery");
      source = { kind: "subquery", query, at: this.at(token) };
    } else {
      source = { kind: "table", name: this.identifier("a table name or a parenthesised subquery").text, at: this.at(token) };
    }
    if (this.acceptKeyword("AS")) source.alias = this.identifier("an alias after AS").text;
    else if (this.peek().kind === "identifier") source.alias = this.next().text;
    return source;
  }

  // Precedence, loosest first: OR, AND, NOT, comparison / IN / BETWEEN / IS, + -, *, unary -.
  expression(): Expression {
    let left = this.conjunction();
    while (this.isKeyword("OR")) {
      const token = this.next();
      left = { kind: "binary", operator: "OR", left, right: this.conjunction(), at: this.at(token) };
    }
    return left;
  }

  private conjunction(): Expression {
    let left = this.negation();
    while (this.isKeyword("AND")) {
      const token = this.next();
      left = { kind: "binary", operator: "AND", left, right: this.negation(), at: this.at(token) };
    }
    return left;
  }

  private negation(): Expression {
    if (this.isKeyword("NOT")) {
      const token = this.next();
      return { kind: "not", operand: this.negation(), at: this.at(token) };
    }
    return this.comparison();
  }

  private comparison(): Expression {
    const left = this.additive();
    const token = this.peek();
    if (token.kind === "symbol" && COMPARISONS.has(token.text)) {
      this.next();
      return { kind: "binary", operator: token.text as BinaryOperator, left, right: this.additive(), at: this.at(token) };
    }
    const negated = this.isKeyword("NOT") && (this.isKeyword("IN", 1) || this.isKeyword("BETWEEN", 1));
    if (negated) this.next();
    if (this.acceptKeyword("IN")) {
      this.expectSymbol("(", "after IN");
      const values: Expression[] = [];
      if (this.isKeyword("SELECT")) this.fail(this.peek(), "IN (SELECT …) is not supported; use a JOIN");
      do values.push(this.additive()); while (this.acceptSymbol(","));
      this.expectSymbol(")", "to close the IN list");
      return { kind: "in", operand: left, values, negated, at: this.at(token) };
    }
    if (this.acceptKeyword("BETWEEN")) {
      const low = this.additive();
      this.expectKeyword("AND", "between the bounds of BETWEEN");
      return { kind: "between", operand: left, low, high: this.additive(), negated, at: this.at(token) };
    }
    if (this.acceptKeyword("IS")) {
      const isNegated = this.acceptKeyword("NOT");
      this.expectKeyword("NULL", "after IS");
      return { kind: "isNull", operand: left, negated: isNegated, at: this.at(token) };
    }
    return left;
  }

  private additive(): Expression {
    let left = this.multiplicative();
    while (this.isSymbol("+") || this.isSymbol("-")) {
      const token = this.next();
      left = { kind: "binary", operator: token.text as BinaryOperator, left, right: this.multiplicative(), at: this.at(token) };
    }
    return left;
  }

  private multiplicative(): Expression {
    let left = this.unary();
    while (this.isSymbol("*") || this.isSymbol("/")) {
      const token = this.next();
      if (token.text === "/") this.fail(token, "division is not supported inside MPC; use AVG, which is divided at reveal");
      left = { kind: "binary", operator: "*", left, right: this.unary(), at: this.at(token) };
    }
    return left;
  }

  private unary(): Expression {
    if (this.isSymbol("-")) {
      const token = this.next();
      const operand = this.unary();
      if (operand.kind === "literal" && typeof operand.value === "bigint") return { kind: "literal", value: -operand.value, at: this.at(token) };
      return { kind: "negate", operand, at: this.at(token) };
    }
    return this.primary();
  }

  private primary(): Expression {
    const token = this.next();
    const at = this.at(token);
    switch (token.kind) {
      case "integer":
        return { kind: "literal", value: BigInt(token.text), at };
      case "string":
        return { kind: "literal", value: token.text, at };
      case "symbol":
        if (token.text === "(") {
          if (this.isKeyword("SELECT")) this.fail(this.peek(), "a subquery is not allowed inside an expression");
          const inner = this.expression();
          this.expectSymbol(")", "to close the parenthesis");
          return inner;
        }
        return this.fail(token, `expected an expression, found ${this.describe(token)}`);
      case "keyword":
        if (token.text === "TRUE" || token.text === "FALSE") return { kind: "literal", value: token.text === "TRUE", at };
        if (token.text === "NULL") return { kind: "literal", value: null, at };
        if (token.text === "CASE") return this.caseExpression(at);
        if (token.text === "CAST") return this.castExpression(at);
        return this.fail(token, `expected an expression, found the keyword ${token.text}`);
      case "identifier": {
        const upper = token.text.toUpperCase();
        if (this.isSymbol("(")) {
          if (!AGGREGATES.has(upper as AggregateFunction)) this.fail(token, `unknown function ${token.text}; supported: COUNT, SUM, MIN, MAX, AVG, CAST`);
          this.next();
          if (this.isKeyword("DISTINCT")) this.fail(this.peek(), `${upper}(DISTINCT …) is not supported`);
          if (upper === "COUNT" && this.acceptSymbol("*")) {
            this.expectSymbol(")", "after COUNT(*");
            return { kind: "aggregate", function: "COUNT", at };
          }
          const argument = this.expression();
          this.expectSymbol(")", `to close ${upper}(…)`);
          return { kind: "aggregate", function: upper as AggregateFunction, argument, at };
        }
        if (this.acceptSymbol(".")) {
          const column = this.identifier(`a column name after "${token.text}."`);
          return { kind: "column", table: token.text, name: column.text, at };
        }
        return { kind: "column", name: token.text, at };
      }
      case "end":
        return this.fail(token, "the query ends where an expression was expected");
    }
  }

  private caseExpression(at: Position): Expression {
    const branches: Array<{ when: Expression; then: Expression }> = [];
    if (!this.isKeyword("WHEN")) this.fail(this.peek(), `expected WHEN after CASE (only the searched form CASE WHEN condition THEN … is supported), found ${this.describe(this.peek())}`);
    while (this.acceptKeyword("WHEN")) {
      const when = this.expression();
      this.expectKeyword("THEN", "after the WHEN condition");
      branches.push({ when, then: this.expression() });
    }
    const otherwise = this.acceptKeyword("ELSE") ? this.expression() : undefined;
    this.expectKeyword("END", "to close CASE");
    return { kind: "case", branches, otherwise, at };
  }

  private castExpression(at: Position): Expression {
    this.expectSymbol("(", "after CAST");
    const operand = this.expression();
    this.expectKeyword("AS", "in CAST(… AS type)");
    const typeToken = this.next();
    let typeText = typeToken.text;
    if (this.acceptSymbol("(")) {
      const length = this.next();
      if (length.kind !== "integer") this.fail(length, `expected a length, found ${this.describe(length)}`);
      this.expectSymbol(")", "after the length");
      typeText += `(${length.text})`;
    }
    const type = parseTypeName(typeText);
    if (!type) this.fail(typeToken, `unknown type ${typeText}; expected INT32, INT64, BOOL, CHAR(n) or VARCHAR(n)`);
    this.expectSymbol(")", "to close CAST(…)");
    return { kind: "cast", operand, type: type!, at };
  }
}
