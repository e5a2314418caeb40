import { describe, expect, it } from "vitest";
import { parseUnifiedDiff, selectFromChangelog } from "./changelog.js";

const KEYS = ["dsr1-fp4-b200-sglang", "dsr1-fp4-gb200-dynamo-trt", "dsr1-fp8-h200-sglang", "gptoss-fp4-h100-vllm"];

const OLD = `- config-keys:
    - dsr1-fp8-h200-sglang
  description:
    - "first"
  pr-link: https://example/1
`;
const ADDED = `
- config-keys:
    - "dsr1-fp4-*"
  description:
    - "second"
  pr-link: https://example/2

- config-keys:
    - gptoss-fp4-h100-vllm
  description:
    - "evals"
  pr-link: https://example/3
  evals-only: true
`;

/** a diff that appends `added` to `old` */
function appendDiff(old: string, added: string): string {
  const oldLines = old.split("\n").length - 1;
  const addLines = added.split("\n").slice(0, -1);
  return `diff --git a/c.yaml b/c.yaml\n--- a/c.yaml\n+++ b/c.yaml\n@@ -${oldLines},0 +${oldLines + 1},${addLines.length} @@\n${addLines.map((l) => `+${l}`).join("\n")}\n`;
}

describe("changelog trigger", () => {
  it("selects only added entries and expands wildcards", () => {
    const sel = selectFromChangelog({
      file: "c.yaml",
      headText: OLD + ADDED,
      diff: parseUnifiedDiff(appendDiff(OLD, ADDED)),
      configKeys: KEYS,
    });
    expect(sel.entries.map((e) => e.line)).toEqual([7, 13]);
    expect(sel.keys.sort()).toEqual(["dsr1-fp4-b200-sglang", "dsr1-fp4-gb200-dynamo-trt", "gptoss-fp4-h100-vllm"]);
    expect(sel.evalsOnlyKeys).toEqual(["gptoss-fp4-h100-vllm"]);
  });

  it("no added lines → nothing selected", () => {
    const sel = selectFromChangelog({ file: "c.yaml", headText: OLD, diff: parseUnifiedDiff(""), configKeys: KEYS });
    expect(sel.keys).toEqual([]);
  });

  it("a deleted line is an error naming its base line", () => {
    const diff = "@@ -2 +1,0 @@\n-    - dsr1-fp8-h200-sglang\n";
    expect(() =>
      selectFromChangelog({
        file: "c.yaml",
        baseLabel: "HEAD~1:c.yaml",
        headText: OLD,
        diff: parseUnifiedDiff(diff),
        configKeys: KEYS,
      }),
    ).toThrow(/HEAD~1:c\.yaml:2:1: deleted or modified line "- dsr1-fp8-h200-sglang": the changelog is append-only/);
  });

  it("whitespace-only deletions are allowed", () => {
    const diff = "@@ -6 +5,0 @@\n-\n";
    expect(() =>
      selectFromChangelog({ file: "c.yaml", headText: OLD, diff: parseUnifiedDiff(diff), configKeys: KEYS }),
    ).not.toThrow();
  });

  it("a modified entry (some lines added inside an old entry) is an error naming the entry", () => {
    const head = OLD.replace('    - "first"\n', '    - "first"\n    - "sneaked in"\n');
    const diff = '@@ -4,0 +5 @@\n+    - "sneaked in"\n';
    expect(() =>
      selectFromChangelog({ file: "c.yaml", headText: head, diff: parseUnifiedDiff(diff), configKeys: KEYS }),
    ).toThrow(/c\.yaml:1:1: \[0\]: modified changelog entry/);
  });

  it("a key that matches nothing is an error at its line", () => {
    const added = `- config-keys:\n    - "nope-*"\n  description: ["x"]\n  pr-link: l\n`;
    expect(() =>
      selectFromChangelog({
        file: "c.yaml",
        headText: OLD + added,
        diff: parseUnifiedDiff(appendDiff(OLD, added)),
        configKeys: KEYS,
      }),
    ).toThrow(/c\.yaml:7:7: \[1\]\.config-keys\[0\]: "nope-\*" matches no config key/);
  });

  it("an invalid added entry is located", () => {
    const added = `- config-keys: [dsr1-fp8-h200-sglang]\n  description: ["x"]\n  pr-link: l\n  evals-onyl: true\n`;
    expect(() =>
      selectFromChangelog({
        file: "c.yaml",
        headText: OLD + added,
        diff: parseUnifiedDiff(appendDiff(OLD, added)),
        configKeys: KEYS,
      }),
    ).toThrow(/c\.yaml:9:3: \[1\]\.evals-onyl: unknown key/);
  });

  it("scenario-type restricts the scenarios", () => {
    const added = `- config-keys: [dsr1-fp8-h200-sglang]\n  description: ["x"]\n  pr-link: l\n  scenario-type: [fixed-seq-len]\n`;
    const sel = selectFromChangelog({
      file: "c.yaml",
      headText: OLD + added,
      diff: parseUnifiedDiff(appendDiff(OLD, added)),
      configKeys: KEYS,
    });
    expect(sel.scenarioTypes).toEqual(["fixed-seq-len"]);
  });

  it("all-evals selects its keys for evals at every eligible point, without throughput", () => {
    const added = `- config-keys: [gptoss-fp4-h100-vllm]\n  description: ["x"]\n  pr-link: l\n  all-evals: true\n`;
    const sel = selectFromChangelog({
      file: "c.yaml",
      headText: OLD + added,
      diff: parseUnifiedDiff(appendDiff(OLD, added)),
      configKeys: KEYS,
    });
    expect(sel).toMatchObject({
      keys: ["gptoss-fp4-h100-vllm"],
      evalsOnlyKeys: ["gptoss-fp4-h100-vllm"],
      allEvalsKeys: ["gptoss-fp4-h100-vllm"],
      appendOnly: false,
    });
  });

  it("a pr-link-only correction of an old entry selects nothing and is no error", () => {
    const head = OLD.replace("https://example/1", "https://example/11");
    const diff = "@@ -5 +5 @@\n-  pr-link: https://example/1\n+  pr-link: https://example/11\n";
    const sel = selectFromChangelog({ file: "c.yaml", headText: head, diff: parseUnifiedDiff(diff), configKeys: KEYS });
    expect(sel.keys).toEqual([]);
    // any other change to the entry is still one
    const other = "@@ -2 +2 @@\n-    - dsr1-fp8-h200-sglang\n+    - dsr1-fp4-b200-sglang\n";
    expect(() =>
      selectFromChangelog({
        file: "c.yaml",
        headText: OLD.replace("dsr1-fp8-h200-sglang", "dsr1-fp4-b200-sglang"),
        diff: parseUnifiedDiff(other),
        configKeys: KEYS,
      }),
    ).toThrow(/deleted or modified line/);
  });
});
