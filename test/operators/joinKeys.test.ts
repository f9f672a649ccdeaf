/** Which columns `catalyst share` must find unique: the right-side keys of the study's joins, read off the plans. */
import { describe, expect, it } from "@jest/globals";
import { mergeKeyOf, studySortOrders, uniqueKeysOf } from "../../src/operators/joinKeys.js";
import { inlineStudy } from "../helpers/inlineStudy.js";

const TABLES = `CREATE TABLE demo (patid INT32, age INT32);
CREATE TABLE dx (patid INT32, code CHAR(2), cost INT32);`;

function studyWith(queries: Record<string, string>) {
  return inlineStudy({ name: "keys", tablesSql: TABLES, minCellCount: 1, partners: [{ name: "s1", tables: ["demo", "dx"] }, { name: "s2", tables: ["demo", "dx"] }], queries: Object.entries(queries).map(([name, sql]) => ({ name, sql })) });
}

describe("unique keys a study's joins need", () => {
  it("the right side's key columns within a site, _site left out, once per query", () => {
    const study = studyWith({
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN demo d ON x.patid = d.patid GROUP BY x.code",
      nested: "SELECT age, COUNT(*) AS n FROM (SELECT d.age, y.code FROM demo d JOIN (SELECT patid, code, _site FROM dx) y ON d._site = y._site AND d.patid = y.patid) t GROUP BY age",
    });
    expect(uniqueKeysOf(study, "dx")).toEqual([{ columns: ["patid"], query: "within" }, { columns: ["patid"], query: "nested" }]);
    expect(uniqueKeysOf(study, "demo")).toEqual([{ columns: ["patid"], query: "across" }]);
  });

  it("nothing where the right side is filtered, computed or aggregated first", () => {
    const study = studyWith({
      filtered: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, _site FROM dx WHERE cost > 10) y ON d._site = y._site AND d.patid = y.patid GROUP BY d.age",
      computed: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid + 1 AS p FROM dx) y ON d.patid = y.p GROUP BY d.age",
      grouped: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT patid, COUNT(*) AS c FROM dx GROUP BY patid) y ON d.patid = y.patid GROUP BY d.age",
    });
    expect(uniqueKeysOf(study, "dx")).toEqual([]);
  });
});

describe("the order `catalyst share` sorts a table by", () => {
  it("is the first within-site join key of the table, on either side of the join", () => {
    const study = studyWith({
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN demo d ON x.patid = d.patid GROUP BY x.code",
      within: "SELECT d.age, COUNT(*) AS n FROM demo d LEFT JOIN dx x ON d._site = x._site AND d.patid = x.patid GROUP BY d.age",
      later: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN dx x ON d._site = x._site AND d.age = x.cost GROUP BY d.age",
    });
    expect(mergeKeyOf(study, "demo")).toEqual(["patid"]);
    expect(mergeKeyOf(study, "dx")).toEqual(["patid"]);
    expect(studySortOrders(study)).toEqual({ demo: ["patid"], dx: ["patid"] });
  });

  it("is none for joins across sites, on computed keys, after a filter, or with _site not first", () => {
    const study = studyWith({
      across: "SELECT x.code, COUNT(*) AS n FROM dx x JOIN demo d ON x.patid = d.patid GROUP BY x.code",
      computed: "SELECT d.age, COUNT(*) AS n FROM demo d JOIN (SELECT _site, patid + 1 AS p FROM dx) y ON d._site = y._site AND d.patid = y.p GROUP BY d.age",
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
