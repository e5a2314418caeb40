import { freePort } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { ApiClient } from "./client.js";

describe("ApiClient: bad --controller values", () => {
  it("a URL that does not parse is refused by name, not reported as unreachable (ERR_INVALID_URL)", () => {
    expect(() => new ApiClient({ controller: "http://[::1" }, {})).toThrow(
      '--controller must be an http(s) URL, got "http://[::1"',
    );
    expect(() => new ApiClient({ controller: "not-a-url" }, {})).toThrow(/must be an http\(s\) URL/);
  });

  it("an unreachable controller names the cause: connection refused, or a port fetch refuses (was 'fetch failed')", async () => {
    const port = await freePort();
    await expect(new ApiClient({ controller: `http://127.0.0.1:${port}` }, {}).get("/api/v1/jobs")).rejects.toThrow(
      `cannot reach the controller at http://127.0.0.1:${port} (ECONNREFUSED); is it running? (--controller or BENCHFLEET_URL)`,
    );
    await expect(new ApiClient({ controller: "http://127.0.0.1:6000" }, {}).get("/api/v1/jobs")).rejects.toThrow(
      "cannot reach the controller at http://127.0.0.1:6000 (bad port)",
    );
  });
});
