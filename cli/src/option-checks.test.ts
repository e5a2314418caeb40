import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkHttpUrl, checkWritableFile } from "./option-checks.js";

describe("option checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-optcheck-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--base-url: http(s) only; host:port without a scheme is named, not 'Invalid URL'", () => {
    expect(() => checkHttpUrl("--base-url", "http://127.0.0.1:8000")).not.toThrow();
    expect(() => checkHttpUrl("--base-url", "https://h/v1")).not.toThrow();
    expect(() => checkHttpUrl("--base-url", "not-a-url")).toThrow(
      '--base-url is not a URL: "not-a-url" (expected http://host:port)',
    );
    expect(() => checkHttpUrl("--base-url", "localhost:8000")).toThrow(
      '--base-url must be an http:// or https:// URL, got "localhost:8000"',
    );
    expect(() => checkHttpUrl("--base-url", "ftp://x")).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
  });

  it("--result-file: a missing folder, a folder, or a read-only file is refused before the run", () => {
    expect(() => checkWritableFile("--result-file", join(dir, "r.json"))).not.toThrow();
    expect(() => checkWritableFile("--result-file", join(dir, "nope", "r.json"))).toThrow(
      `--result-file ${join(dir, "nope", "r.json")}: folder ${join(dir, "nope")} does not exist`,
    );
    expect(() => checkWritableFile("--result-file", dir)).toThrow(`--result-file ${dir} is a folder; give a file name`);
    const ro = join(dir, "ro.json");
    writeFileSync(ro, "{}");
    chmodSync(ro, 0o444);
    if (process.getuid?.() !== 0) expect(() => checkWritableFile("--result-file", ro)).toThrow(/not writable/);
  });
});
