/**
 * Request failures that say nothing about the engine under test but about the infrastructure in
 * front of it: a router or proxy answering 502/503/504 ("router not ready", "no healthy upstream"),
 * connections refused or reset. A load point with any of them did not measure the deployment; it
 * is measured again (`POINT_TRIES` tries in all) or, when they persist, the attempt fails as
 * retryable. They are never stored as a measured failure of the deployment. Pure.
 */

/** tries of one load point while infrastructure errors spoil it */
export const POINT_TRIES = 3;

/** failure classes of `RequestRecord.failure` that are the infrastructure's (see loadgen/client.ts) */
const INFRA = /^(http_50[234]|connection_error|stream_aborted)$/;

export interface InfraFailures {
  /** requests that failed this way */
  count: number;
  /** e.g. `http_503×51, connection_error×2` */
  summary: string;
}

export function infrastructureFailures(failures: Record<string, number>): InfraFailures {
  const hits = Object.entries(failures).filter(([k, n]) => INFRA.test(k) && n > 0);
  hits.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    count: hits.reduce((s, [, n]) => s + n, 0),
    summary: hits.map(([k, n]) => `${k}×${n}`).join(", "),
  };
}

/** pause before measuring a spoiled point again: 2 s, then 4 s (the router may be coming up) */
export function retryPauseMs(tryNumber: number): number {
  return 2000 * 2 ** (tryNumber - 1);
}
