/** Which columns `catalyst share` must find unique: the right-side keys of the study's joins, read off the plans. */
import { describe, expect, it } from "@jest/globals";
import { groupKeyOf, mergeKeyOf, shareSortKeyOf, studySortOrders, uniqueKeysOf } from "../../src/operators/joinKeys.js";
import { inlineStudy } from "../helpers/inlineStudy.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32);
CREATE TABLE dx (patid INT32, code CHAR(2), cost INT32);
CREATE TABLE registry (patid INT32, region INT32);`;

function studyWith(queries: Record<string, string>) {
  return inlineStudy({ name: "keys", tablesSql: TABLES, minCellCount: 1, partners: [{ name: "s1", tables: ["demo", "dx", "registry"] }, { name: "s2", tables: ["demo", "dx"] }], queries: Object.entries(queries).map(([name, sql]) => ({ name, sql })) });
}

describe("unique keys a study's joins need", () => {
  it("the right side's key columns within a site, _site left out, once per query", () => {
    const study = studyWith({
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN registry r ON x.patid = r.patid GROUP BY x.code",
      nested: "SELECT age, COUNT(*) AS n FROM (SELECT d.age, y.code FROM demo d JOIN (SELECT patid, code, _site FROM dx) y ON d._site = y._site AND d.patid = y.patid) t GROUP BY age",
    });
    expect(uniqueKeysOf(study, "dx")).toEqual([{ columns: ["patid"], query: "within" }, { columns: ["patid"], query: "nested" }]);
    // One partner sends the registry, so its key is checked across sites by checking that partner's upload.
    expect(uniqueKeysOf(study, "registry")).toEqual([{ columns: ["patid"], query: "across" }]);
    expect(uniqueKeysOf(study, "demo")).toEqual([]);
  });

  it("the upload's key behind a filter too, since a filter never repeats a row", () => {
    const study = studyWith({
      filtered: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, _site FROM dx WHERE cost > 10) y ON d._site = y._site AND d.patid = y.patid GROUP BY d.age",
    });
    expect(uniqueKeysOf(study, "dx")).toEqual([{ columns: ["patid"], query: "filtered" }]);
  });

  it("nothing where the right side is aggregated first: its GROUP BY makes the key unique", () => {
    const study = studyWith({
      grouped: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, COUNT(*) AS c FROM dx GROUP BY patid) y ON d.patid = y.patid GROUP BY d.age",
      groupedWithin: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT _site, patid, MAX(cost) AS c FROM dx GROUP BY _site, patid) y ON d._site = y._site AND d.patid = y.patid GROUP BY d.age",
    });
    expect(uniqueKeysOf(study, "dx")).toEqual([]);
  });

  it("refuses, at the ON, a right side not known to be unique on the key", () => {
    const refusals: Array<[string, RegExp]> = [
      ["SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d.patid = x.patid GROUP BY d.age",
        /a join's right side must be unique on the ON key, but catalyst share checks patid unique within each partner's dx, not across the 2 partners that send it: add _site/],
      ["SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site GROUP BY d.age", /dx has many rows per partner with the same _site/],
      ["SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT _site, patid + 1 AS p FROM dx) y ON d._site = y._site AND d.patid = y.p GROUP BY d.age", /only an upload or a GROUP BY is known to be unique on a key/],
      ["SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, code, COUNT(*) AS c FROM dx GROUP BY patid, code) y ON d.patid = y.patid GROUP BY d.age", /its GROUP BY has keys that the join does not \(code\)/],
      ["SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, cost FROM dx UNION ALL SELECT patid, age FROM demo) y ON d.patid = y.patid GROUP BY d.age", /only an upload or a GROUP BY/],
    ];
    for (const [sql, message] of refusals) expect(() => uniqueKeysOf(studyWith({ q: sql }), "dx")).toThrow(message);
  });
});

describe("the order `catalyst share` sorts a table by", () => {
  it("is the first within-site join key of the table, on either side of the join", () => {
    const study = studyWith({
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN registry r ON x.patid = r.patid GROUP BY x.code",
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
      later: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site AND d.age = x.cost GROUP BY d.age",
    });
    expect(mergeKeyOf(study, "demo")).toEqual(["patid"]);
    expect(mergeKeyOf(study, "dx")).toEqual(["patid"]);
    expect(studySortOrders(study)).toEqual({ demo: ["patid"], dx: ["patid"] });
  });

  it("is none for joins across sites, on computed keys, after a filter, or with _site not first", () => {
    const study = studyWith({
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN registry r ON x.patid = r.patid GROUP BY x.code",
      computed: "SELECT d.p, COUNT(*) AS n FROM (SELECT _site, patid + 1 AS p FROM demo) d JOIN dx x ON d._site = x._site AND d.p = x.patid GROUP BY d.p",
      filtered: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, _site FROM dx WHERE cost > 10) y ON d._site = y._site AND d.patid = y.patid GROUP BY d.age",
      siteLast: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d.patid = x.patid AND d._site = x._site GROUP BY d.age",
    });
    // No join of these can merge: one side is computed or filtered, or the key is not _site first.
    expect(mergeKeyOf(study, "dx")).toBeUndefined();
    expect(mergeKeyOf(study, "demo")).toBeUndefined();
  });

  it("skips a join that cannot merge for a later one that can", () => {
    const study = studyWith({
      filtered: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT cost, _site FROM dx WHERE cost > 10) y ON d._site = y._site AND d.age = y.cost GROUP BY d.age",
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
    });
    expect(mergeKeyOf(study, "demo")).toEqual(["patid"]);
  });
});

describe("the group key `catalyst share` sorts a table by when no join merges on it", () => {
  const ROLLUP = `CREATE TABLE rollup (age CHAR(1), sex CHAR(1), zip CHAR(5), n INT32);
CREATE TABLE demo (patid INT32, age CHAR(1), sex CHAR(1), zip CHAR(5));`;
  const rollupStudy = (queries: Record<string, string>) => inlineStudy({ name: "groups", tablesSql: ROLLUP, minCellCount: 1, partners: [{ name: "s1", tables: ["demo"] }, { name: "s2", tables: ["rollup"] }, { name: "s3", tables: ["rollup"] }], queries: Object.entries(queries).map(([name, sql]) => ({ name, sql })) });
  const fromBoth = (keys: string) => `SELECT ${keys}, SUM(n) AS n FROM (SELECT ${keys}, COUNT(*) AS n FROM demo GROUP BY ${keys} UNION ALL SELECT ${keys}, n FROM rollup) t GROUP BY ${keys}`;

  it("is the key that is a sorted run for the most GROUP BYs: one that starts with another serves both", () => {
    const study = rollupStudy({ zip: fromBoth("zip"), strata: fromBoth("age, sex, zip"), ageSex: fromBoth("age, sex") });
    expect(groupKeyOf(study, "rollup")).toEqual(["age", "sex", "zip"]);
    // demo's GROUP BYs are inner ones the outer ones absorb, so its rows reach them unchanged too.
    expect(groupKeyOf(study, "demo")).toEqual(["age", "sex", "zip"]);
    expect(studySortOrders(study)).toEqual({ rollup: ["age", "sex", "zip"], demo: ["age", "sex", "zip"] });
  });

  it("keeps the GROUP BY's own column order, through projections that rename", () => {
    const study = rollupStudy({ renamed: "SELECT s, a, SUM(m) AS n FROM (SELECT sex AS s, age AS a, n AS m FROM rollup) r GROUP BY s, a" });
    expect(groupKeyOf(study, "rollup")).toEqual(["sex", "age"]);
  });

  it("is none where rows are filtered or keys computed before the GROUP BY", () => {
    const study = rollupStudy({
      filtered: "SELECT zip, SUM(n) AS n FROM rollup WHERE n > 3 GROUP BY zip",
      computed: "SELECT z, SUM(n) AS n FROM (SELECT CASE WHEN age = '1' THEN zip ELSE '00000' END AS z, n FROM rollup) r GROUP BY z",
    });
    expect(groupKeyOf(study, "rollup")).toBeUndefined();
    expect(studySortOrders(study)).toEqual({});
  });

  it("gives way to a join's merge key", () => {
    const study = studyWith({
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
      byCode: "SELECT code, SUM(cost) AS c FROM dx GROUP BY code",
    });
    expect(groupKeyOf(study, "dx")).toEqual(["code"]);
    expect(shareSortKeyOf(study, "dx")).toEqual(["patid"]);
  });
});
