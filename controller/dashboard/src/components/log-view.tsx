/**
 * Live log viewer: lines go into a bounded ring (oldest dropped past `capacity`), arrive through a
 * per-animation-frame batch, and only the lines in view are in the DOM — so thousands of lines per
 * second do not freeze the page. Follow (stick to the bottom), per-process filter, search. Each line
 * shows its time (UTC) and its source (`node-a agent` in a multi-node attempt). Download fetches the
 * attempt's whole stored log from the controller; "Download matches" only the lines the process
 * filter and search select. Processes with stored lines older than the loaded tail are named, with
 * a link to the download.
 */

import { logLineText, logSourceLabel } from "@benchfleet/shared/browser";
import type { Ref } from "preact";
import { useEffect, useImperativeHandle, useMemo, useRef, useState } from "preact/hooks";
import { downloadFile } from "../api.js";
import { FrameBatcher } from "../lib/frame-batcher.js";
import { LogBuffer, type LogText } from "../lib/log-buffer.js";
import { visibleRange } from "../lib/virtual-range.js";

export interface LogSink {
  append(process: string, lines: readonly LogText[]): void;
  clear(): void;
}

const LINE_H = 18;

export function LogView(props: {
  sinkRef: Ref<LogSink>;
  processes: string[];
  /** processes with stored lines older than the loaded tail */
  older?: string[];
  /** lines per process the tail holds */
  tailPerProcess?: number;
  capacity?: number;
  height?: number;
  jobId: string;
  attemptId: string;
  onError: (message: string) => void;
}) {
  const buf = useRef(new LogBuffer(props.capacity ?? 50_000));
  const [version, setVersion] = useState(0);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState("");
  const [proc, setProc] = useState("");
  const [scrollTop, setScrollTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const height = props.height ?? 420;

  const batcher = useMemo(
    () =>
      new FrameBatcher<{ process: string; lines: readonly LogText[] }>((items) => {
        for (const it of items) buf.current.push(it.process, it.lines);
        setVersion((v) => v + 1);
      }),
    [],
  );
  useEffect(() => () => batcher.close(), [batcher]);
  useImperativeHandle(props.sinkRef, () => ({
    append: (process, lines) => batcher.add({ process, lines }),
    clear: () => {
      buf.current.clear();
      setVersion((v) => v + 1);
    },
  }));

  const needle = search.trim().toLowerCase();
  const filtered = useMemo(() => {
    if (!needle && !proc) return undefined;
    return buf.current.indicesWhere(
      (l) => (!proc || l.process === proc) && (!needle || l.text.toLowerCase().includes(needle)),
    );
  }, [version, needle, proc]);
  const count = filtered ? filtered.length : buf.current.length;

  // where follow mode last put the view: a scroll above it is the user's, and stops following
  const pinnedTop = useRef(0);
  useEffect(() => {
    if (follow && box.current) {
      box.current.scrollTop = box.current.scrollHeight;
      pinnedTop.current = box.current.scrollTop;
      setScrollTop(box.current.scrollTop);
    }
  }, [version, follow, count]);

  const frame = useRef(0);
  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = box.current;
      if (!el) return;
      setScrollTop(el.scrollTop);
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_H * 2;
      if (follow && !atBottom && el.scrollTop < pinnedTop.current - LINE_H) setFollow(false);
      else if (!follow && atBottom) setFollow(true);
    });
  };

  const r = visibleRange(scrollTop, height, LINE_H, count, 20);
  const lines = [];
  for (let i = r.start; i < r.end; i++) {
    const l = buf.current.at(filtered ? filtered[i]! : i);
    if (!l) continue;
    const { at, text } = l;
    lines.push(
      <div
        key={l.seq}
        class={`log-line${text.startsWith("[stderr]") ? " err" : ""}`}
        style={{ top: `${i * LINE_H}px` }}
      >
        {at ? (
          <span class="ts" title={at}>
            {at.slice(11, 23)}
          </span>
        ) : null}
        <span class="proc">{logSourceLabel(l.process)}</span>
        {logLineText(l.process, text)}
      </div>,
    );
  }

  const download = (matchesOnly: boolean) => {
    const q = new URLSearchParams({ attempt: props.attemptId });
    if (matchesOnly && proc) q.set("process", proc);
    if (matchesOnly && needle) q.set("match", needle);
    const name = `${props.jobId}-${props.attemptId}${matchesOnly ? "-matches" : ""}.log`;
    downloadFile(`/jobs/${encodeURIComponent(props.jobId)}/logs/download?${q}`, name).catch((e) =>
      props.onError(`log download: ${(e as Error).message}`),
    );
  };

  return (
    <div data-testid="log-view">
      <div class="log-bar">
        <label>
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow((e.target as HTMLInputElement).checked)}
            data-testid="log-follow"
          />{" "}
          follow
        </label>
        <label>
          process{" "}
          <select value={proc} onChange={(e) => setProc((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {props.processes.map((p) => (
              <option key={p} value={p}>
                {logSourceLabel(p)}
              </option>
            ))}
          </select>
        </label>
        <input
          type="search"
          placeholder="search logs"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          data-testid="log-search"
        />
        <button
          type="button"
          class="small"
          onClick={() => download(false)}
          data-testid="log-download"
          title="the attempt's whole stored log, every process"
        >
          Download
        </button>
        {filtered ? (
          <button
            type="button"
            class="small"
            onClick={() => download(true)}
            data-testid="log-download-matches"
            title="only the lines of the chosen process that match the search, from the whole stored log"
          >
            Download matches
          </button>
        ) : null}
        <span
          class="muted small"
          data-testid="log-stats"
          data-total={buf.current.total}
          data-retained={buf.current.length}
        >
          {buf.current.total.toLocaleString("en-US")} lines received
          {buf.current.dropped > 0
            ? ` · oldest ${buf.current.dropped.toLocaleString("en-US")} dropped from view (full log: download from the controller)`
            : ""}
          {filtered ? ` · ${filtered.length.toLocaleString("en-US")} match` : ""}
        </span>
      </div>
      {props.older?.length ? (
        <p class="muted small" data-testid="log-older">
          Showing the last {props.tailPerProcess?.toLocaleString("en-US") ?? "few"} lines of{" "}
          {props.older.map(logSourceLabel).join(", ")}; older lines are in the{" "}
          <button type="button" class="link" onClick={() => download(false)} data-testid="log-older-download">
            download
          </button>
          .
        </p>
      ) : null}
      <div class="log">
        <div class="log-body" ref={box} onScroll={onScroll} style={{ height: `${height}px` }}>
          <div style={{ height: `${r.totalHeight}px`, position: "relative" }}>{lines}</div>
        </div>
      </div>
    </div>
  );
}
