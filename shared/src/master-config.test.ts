import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { loadMasterConfigs, masterConfigKeys } from "./master-config-load.js";

function problemsOf(text: string, file = "cfg.yaml", more: Array<{ file: string; text: string }> = []): string[] {
  try {
    loadMasterConfigs([{ file, text }, ...more]);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split("\n");
    throw e;
  }
  return [];
}

const GOOD = `a:
  image: img
  model: m
  model-prefix: dsr1
  runner: h100
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-start: 4, conc-end: 64 }
`;

describe("master config: bad input is located (file:line:col, key path, expectation)", () => {
  it("accepts a good entry", () => {
    expect(problemsOf(GOOD)).toEqual([]);
  });

  it("YAML syntax error", () => {
    const p = problemsOf("a:\n  image: [unclosed\n  model: m\n");
    expect(p[0]).toMatch(/^cfg\.yaml:\d+:\d+: YAML syntax error: /);
  });

  it("wrong type", () => {
    const p = problemsOf(GOOD.replace("tp: 8", 'tp: "eight"'));
    expect(p).toEqual([
      expect.stringMatching(
        /^cfg\.yaml:14:15: a\.scenarios\.fixed-seq-len\[0\]\.search-space\[0\]\.tp: .*expected number/,
      ),
    ]);
  });

  it("unknown key points at the key", () => {
    const p = problemsOf(GOOD.replace("  precision: fp8\n", "  precision: fp8\n  precison: fp8\n"));
    expect(p).toEqual(["cfg.yaml:7:3: a.precison: unknown key"]);
  });

  it("unknown key in a nested flow mapping", () => {
    const p = problemsOf(GOOD.replace("tp: 8,", "tp: 8, tpp: 2,"));
    expect(p).toEqual(["cfg.yaml:14:18: a.scenarios.fixed-seq-len[0].search-space[0].tpp: unknown key"]);
  });

  it("missing required field names the field and points at its parent", () => {
    const p = problemsOf(GOOD.replace("  model: m\n", ""));
    expect(p).toEqual([expect.stringMatching(/^cfg\.yaml:2:3: a\.model: .*expected string/)]);
  });

  it("missing multinode says what is expected", () => {
    const p = problemsOf(GOOD.replace("  multinode: false\n", ""));
    expect(p[0]).toMatch(/^cfg\.yaml:2:3: a\.multinode: multinode is required: true or false/);
  });

  it("concurrency rules", () => {
    expect(problemsOf(GOOD.replace("conc-start: 4, conc-end: 64", "conc-start: 64, conc-end: 4"))[0]).toMatch(
      /cfg\.yaml:14:\d+: .*conc-start: conc-start \(64\) is greater than conc-end \(4\)/,
    );
    expect(problemsOf(GOOD.replace("conc-start: 4, conc-end: 64", "conc-list: [1], conc-end: 64"))[0]).toMatch(
      /either conc-start\/conc-end or conc-list/,
    );
    expect(problemsOf(GOOD.replace(", conc-start: 4, conc-end: 64", ""))[0]).toMatch(/missing concurrency/);
  });

  it("disagg needs kv-p2p-transfer", () => {
    const text = `d:
  image: i
  model: m
  model-prefix: dsr1
  runner: b200
  precision: fp4
  framework: sglang-disagg
  multinode: true
  disagg: true
  scenarios:
    fixed-seq-len:
    - isl: 1
      osl: 1
      search-space:
      - conc-list: [1]
        prefill: { num-worker: 1, tp: 8, ep: 1, dp-attn: false }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false }
`;
    // files that name the field somewhere are of its era: a disaggregated entry must name it
    const other = [
      {
        file: "other.yaml",
        text: GOOD.replace("a:", "b:").replace(
          "  multinode: false\n",
          "  multinode: false\n# kv-p2p-transfer in use\n",
        ),
      },
    ];
    expect(problemsOf(text, "cfg.yaml", other)).toEqual([
      expect.stringMatching(/^cfg\.yaml:9:11: d\.disagg: disagg: true requires kv-p2p-transfer/),
    ]);
    // files that never name it predate it (the reference's PR 2096): the recipe's default transfer
    expect(problemsOf(text)).toEqual([]);
    expect(
      problemsOf(text.replace("      - conc-list: [1]\n", "      - conc-list: [1]\n        kv-p2p-transfer: nixl\n")),
    ).toEqual([]);
    expect(problemsOf(text.replace("  disagg: true\n", "  disagg: true\n  kv-p2p-transfer: nixl\n"))).toEqual([]);
  });

  it("duplicate keys across files name both places", () => {
    const p = problemsOf(GOOD, "one.yaml", [{ file: "two.yaml", text: `\n${GOOD}` }]);
    expect(p).toEqual(["two.yaml:2:1: a: duplicate config key (first defined at one.yaml:1:1)"]);
  });

  it("duplicate keys within one file are a YAML error", () => {
    const p = problemsOf(`${GOOD}${GOOD}`);
    expect(p[0]).toMatch(/^cfg\.yaml:15:1: YAML syntax error: Map keys must be unique/);
  });

  it("collects every problem of a file, not just the first", () => {
    const p = problemsOf(
      GOOD.replace("tp: 8", "tp: 0").replace("  precision: fp8\n", "  precision: fp8\n  extra: 1\n"),
    );
    expect(p).toHaveLength(2);
  });
});

describe("loadMasterConfigs with a selection (changelog replay)", () => {
  // `old` carries a field today's schema no longer knows, as entries of older lab commits do
  const files = [
    {
      file: "m.yaml",
      text: `${GOOD.replace("a:", "old:").replace("  image: img", "  image: img\n  retired-field: 1")}${GOOD.replace("a:", "new:")}`,
    },
  ];

  it("validates only the selected keys; the others are listed but not checked", () => {
    expect(() => loadMasterConfigs(files)).toThrow(/m\.yaml:3:\d+: old/);
    expect(masterConfigKeys(files)).toEqual(["old", "new"]);
    const loaded = loadMasterConfigs(files, { only: new Set(["new"]) });
    expect([...loaded.keys()]).toEqual(["new"]);
    expect(loaded.get("new")!.entry.image).toBe("img");
  });

  it("a selected key that breaks today's schema is still an error at its line", () => {
    expect(() => loadMasterConfigs(files, { only: new Set(["old"]) })).toThrow(/m\.yaml:3:\d+: old/);
  });

  it("duplicate keys are errors even among unselected entries", () => {
    const dup = [...files, { file: "n.yaml", text: GOOD.replace("a:", "old:") }];
    expect(() => masterConfigKeys(dup)).toThrow(/n\.yaml:1:1: old: duplicate config key/);
  });
});

describe("master configs of historic lab commits", () => {
  const OLD_FORM = GOOD.replace("  scenarios:\n    fixed-seq-len:\n    - isl", "  seq-len-configs:\n  - isl").replace(
    "      osl: 1024\n      search-space:\n      - {",
    "    osl: 1024\n    search-space:\n    - {",
  );

  it("reads seq-len-configs (the form before scenario types) as the fixed-seq-len scenario", () => {
    const loaded = loadMasterConfigs([{ file: "m.yaml", text: OLD_FORM }]);
    const e = loaded.get("a")!.entry;
    expect(e.scenarios["fixed-seq-len"]![0]).toMatchObject({ isl: 1024, osl: 1024 });
    expect(e.scenarios["fixed-seq-len"]![0]!["search-space"]).toHaveLength(1);
  });

  it("locates a problem inside seq-len-configs where the file has it", () => {
    expect(problemsOf(OLD_FORM.replace("tp: 8", "tp: 0"))).toEqual([
      expect.stringMatching(/^cfg\.yaml:13:13: a\.seq-len-configs\[0\]\.search-space\[0\]\.tp: /),
    ]);
  });
});
