/** A configuration split into launch groups evaluates in each launch at the eval concurrencies it holds. */
import { describe, expect, it } from "vitest";
import { splitLaunches } from "./launch-groups.js";
import { loadMasterConfigs } from "./master-config-load.js";
import { buildPlan } from "./planner.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

const text = (concs: string) => `
a:
  image: img:1
  model: org/model
  model-prefix: dsr1
  runner: h200
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
    - { isl: 8192, osl: 1024, search-space: [ { tp: 8, conc-list: [${concs}] } ] }
`;

const deployment = (concs: string) =>
  buildPlan(loadMasterConfigs([{ file: "m.yaml", text: text(concs) }]), { catalog }).deployments[0]!;

describe("splitLaunches", () => {
  it("each launch evaluates at the selected concurrencies it holds", () => {
    // eligible 16, 32, 64, 128: the highest 128 and the median 64
    const d = deployment("4, 16, 32, 64, 128");
    expect(d.evalConcs).toEqual([64, 128]);
    const by = (ps: number[]) => d.points.filter((p) => ps.includes(p.concurrency));
    const parts = splitLaunches(d, [by([4, 16, 32]), by([64]), by([128])]);
    expect(parts.map((p) => ({ eval: p.eval, evalConc: p.evalConc, evalConcs: p.evalConcs }))).toEqual([
      { eval: false, evalConc: undefined, evalConcs: undefined },
      { eval: true, evalConc: 64, evalConcs: [64] },
      { eval: true, evalConc: 128, evalConcs: [128] },
    ]);
    expect(parts.map((p) => p.launchPart?.part)).toEqual([1, 2, 3]);
  });

  it("a deployment with no chosen concurrency evaluates in the launch holding its highest point", () => {
    const { evalConc: _c, evalConcs: _cs, ...d } = { ...deployment("16, 32"), eval: true };
    const parts = splitLaunches(d, [[d.points[0]!], [d.points[1]!]]);
    expect(parts.map((p) => [p.eval, p.evalConcs])).toEqual([
      [false, undefined],
      [true, undefined],
    ]);
  });
});
