/**
 * srtctl's nginx.conf as the srt-slurm checkout's template (`src/srtctl/templates/nginx.conf.j2`)
 * renders it, where that template lacks what main's has (srtctl-defaults.ts):
 *
 * - `keepalive`: the client `keepalive_timeout`, the upstream pool (`keepalive 512`,
 *   `keepalive_timeout`) and `proxy_http_version 1.1` with an empty `Connection` header, from
 *   srt-slurm #283 (v1.0.44) on; before it nginx closes idle client connections after its 75 s
 *   default and opens a connection to a frontend per request.
 * - `client_max_body_size 45m`: absent on sa-submission-q2-2026, c1fb6989 and the aflowers/*
 *   branches (nginx's 1 MiB default applies).
 *
 * Pure: reads the template's text, and drops those lines from main's rendering (srt-launch.ts).
 */
import type { SrtRecipeRef } from "@benchfleet/shared";

type Srtctl = NonNullable<SrtRecipeRef["srtctl"]>;

/** what the checkout's nginx template lacks of main's; {} where it has it all */
export function srtctlNginx(template: string): Pick<Srtctl, "nginxKeepalive" | "nginxMaxBody"> {
  return {
    ...(/\bkeepalive\b/.test(template) ? {} : { nginxKeepalive: false }),
    ...(/client_max_body_size/.test(template) ? {} : { nginxMaxBody: false }),
  };
}

const KEEPALIVE = /^\s*(keepalive \d+|keepalive_timeout \S+|proxy_http_version 1\.1|proxy_set_header Connection "");$/;
const MAX_BODY = /^\s*client_max_body_size \S+;$/;

/** main's nginx.conf (srt-launch.ts) less the lines the checkout's template does not have */
export function asCheckoutNginx(conf: string, srtctl: SrtRecipeRef["srtctl"]): string {
  if (srtctl?.nginxKeepalive !== false && srtctl?.nginxMaxBody !== false) return conf;
  return conf
    .split("\n")
    .filter((l) => !(srtctl.nginxKeepalive === false && KEEPALIVE.test(l)))
    .filter((l) => !(srtctl.nginxMaxBody === false && MAX_BODY.test(l)))
    .join("\n");
}
