import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDashboard as buildDashboardFiles } from "@benchfleet/cli";
import type { Browser, Page } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * Where screenshots and figures go: docs/screenshots with BENCHFLEET_SCREENSHOTS=1 (`pnpm
 * screenshots`), else the test file's private temporary directory, so a test run leaves the
 * committed images alone.
 */
export function screenshotDir(): string {
  return process.env.BENCHFLEET_SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : join(tmpdir(), "screenshots");
}
export { launchChromium } from "../helpers/chromium.js";

/** Builds controller/dashboard → controller/public (before the controller starts: it serves public/ only if present). */
export function buildDashboard(): void {
  const err = buildDashboardFiles();
  if (err) throw new Error(err);
}

/** A page already signed in with `token` (stored as the dashboard's login does). */
export async function signedInPage(browser: Browser, baseUrl: string, token: string, hash = "#/fleet"): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await ctx.addInitScript((t: string) => localStorage.setItem("benchfleet.token", t), token);
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/${hash}`);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir(), { recursive: true });
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: false });
}

/** Writes a figures file beside the screenshots. */
export function writeFigures(name: string, figures: unknown): void {
  mkdirSync(screenshotDir(), { recursive: true });
  writeFileSync(join(screenshotDir(), name), `${JSON.stringify(figures, null, 2)}\n`);
}

/** Starts recording animation-frame intervals in the page; `stop` returns them (ms). */
export async function startFrameMonitor(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __frameStop: boolean };
    w.__frames = [];
    w.__frameStop = false;
    let last = performance.now();
    const tick = (t: number) => {
      w.__frames.push(t - last);
      last = t;
      if (!w.__frameStop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  return async () =>
    page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __frameStop: boolean };
      w.__frameStop = true;
      return w.__frames.slice(1);
    });
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
