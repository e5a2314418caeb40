import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCpuStallMs, readCpuStallMs, starvationCreditMs } from "./host-cpu-stall.js";

describe("host CPU stall", () => {
  it("reads the `some` total of /proc/pressure/cpu in ms", () => {
    const text =
      "some avg10=90.73 avg60=83.02 avg300=43.17 total=6085716645\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    expect(parseCpuStallMs(text)).toBe(6085716.645);
    expect(parseCpuStallMs("full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n")).toBeUndefined();
    expect(parseCpuStallMs("")).toBeUndefined();
    const file = join(tmpdir(), "cpu-pressure");
    writeFileSync(file, "some avg10=1.00 avg60=2.00 avg300=3.00 total=2500\n");
    expect(readCpuStallMs(file)).toBe(2.5);
    expect(readCpuStallMs(join(tmpdir(), "absent"))).toBeUndefined();
  });

  it("credits the stall since the phase started, at most the cap", () => {
    expect(starvationCreditMs(1000, 1300, 800)).toBe(300);
    expect(starvationCreditMs(1000, 5000, 800)).toBe(800);
    expect(starvationCreditMs(undefined, 5000, 800)).toBe(0);
    expect(starvationCreditMs(1000, undefined, 800)).toBe(0);
  });
});
