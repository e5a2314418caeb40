import { describe, expect, it } from "vitest";
import { loadMasterConfigs } from "./master-config-load.js";
import { buildPlan } from "./planner.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

const entry = (repeats: string) => `
a:
  image: i
  model: m
  model-prefix: dsr1
  runner: h100
  precision: fp8
  framework: sglang
  multinode: false
  benchfleet: { ${repeats} }
  scenarios:
    fixed-seq-len:
    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4, 16] } ] }
`;

describe("benchfleet.repeats", () => {
  const plan = (text: string) => buildPlan(loadMasterConfigs([{ file: "m.yaml", text }]), { catalog });

  it("runs each point N times: on the deployment, in the load estimate, not in the fingerprint", () => {
    const once = plan(entry("priority: 5")).deployments[0]!;
    const thrice = plan(entry("repeats: 3")).deployments[0]!;
    expect(once.repeats).toBeUndefined();
    expect(thrice.repeats).toBe(3);
    expect(thrice.fingerprint).toBe(once.fingerprint);
    // every repeat sends the prompts again; fixed per-point overheads are not repeated
    expect(thrice.estimate!.loadSeconds).toBeGreaterThan(2 * once.estimate!.loadSeconds);
  });

  it("a repeat count out of range is an error naming the field", () => {
    expect(() => plan(entry("repeats: 0"))).toThrow(/repeats/);
    expect(() => plan(entry("repeats: 21"))).toThrow(/repeats/);
  });
});
