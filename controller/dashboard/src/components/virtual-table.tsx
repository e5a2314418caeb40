/**
 * A table that renders only the rows in view (fixed row height), so 10,000+ rows scroll smoothly.
 * Scroll handling is coalesced to one render per animation frame.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { SortDir } from "../lib/table-model.js";
import { visibleRange } from "../lib/virtual-range.js";

export interface Column<T> {
  key: string;
  label: string;
  width: string;
  render: (row: T) => ComponentChildren;
  sortable?: boolean;
}

export function VirtualTable<T>(props: {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (r: T) => string;
  rowHeight?: number;
  height?: number;
  sortKey?: string;
  sortDir?: SortDir;
  onSort?: (key: string) => void;
  onRowClick?: (r: T) => void;
  testId?: string;
}) {
  const rowHeight = props.rowHeight ?? 28;
  const height = props.height ?? 520;
  const [scrollTop, setScrollTop] = useState(0);
  const frame = useRef(0);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(box.current?.scrollTop ?? 0);
    });
  };
  const r = visibleRange(scrollTop, height, rowHeight, props.rows.length);
  const grid = props.columns.map((c) => c.width).join(" ");
  const rows: ComponentChildren[] = [];
  for (let i = r.start; i < r.end; i++) {
    const row = props.rows[i]!;
    rows.push(
      // biome-ignore lint/a11y/noStaticElementInteractions: a clickable row gets role="button", tabIndex and Enter below
      <div
        class={`vt-row${props.onRowClick ? " clickable" : ""}`}
        key={props.rowKey(row)}
        style={{ gridTemplateColumns: grid, height: `${rowHeight}px`, top: `${i * rowHeight}px` }}
        onClick={props.onRowClick ? () => props.onRowClick!(row) : undefined}
        onKeyDown={props.onRowClick ? (e) => e.key === "Enter" && props.onRowClick!(row) : undefined}
        role={props.onRowClick ? "button" : "row"}
        tabIndex={props.onRowClick ? 0 : undefined}
        data-row={i}
      >
        {props.columns.map((c) => (
          <div class="vt-cell" key={c.key}>
            {c.render(row)}
          </div>
        ))}
      </div>,
    );
  }
  return (
    <div class="vt" data-testid={props.testId}>
      <div class="vt-head" style={{ gridTemplateColumns: grid }}>
        {props.columns.map((c) => (
          // biome-ignore lint/a11y/noStaticElementInteractions: sortable headers are focusable and sort on Enter
          <div
            key={c.key}
            class={`vt-cell${c.sortable ? " sortable" : ""}`}
            onClick={c.sortable && props.onSort ? () => props.onSort!(c.key) : undefined}
            onKeyDown={c.sortable && props.onSort ? (e) => e.key === "Enter" && props.onSort!(c.key) : undefined}
            tabIndex={c.sortable ? 0 : undefined}
          >
            {c.label}
            {props.sortKey === c.key ? (props.sortDir === "desc" ? " ▼" : " ▲") : ""}
          </div>
        ))}
      </div>
      <div class="vt-body" ref={box} onScroll={onScroll} style={{ height: `${height}px` }}>
        <div style={{ height: `${r.totalHeight}px`, position: "relative" }}>{rows}</div>
      </div>
      <div class="vt-foot">{props.rows.length.toLocaleString("en-US")} rows</div>
    </div>
  );
}
