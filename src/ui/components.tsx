import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { visibleRange } from "./format.js";

/** A panel is a region named by its heading. */
export function Panel(props: { id: string; title: string; actions?: ComponentChildren; children: ComponentChildren; className?: string }) {
  return (
    <section class={`panel ${props.className ?? ""}`} id={props.id} aria-labelledby={`${props.id}-h`}>
      <header class="panel-head">
        <h2 id={`${props.id}-h`}>{props.title}</h2>
        {props.actions && <div class="panel-actions">{props.actions}</div>}
      </header>
      <div class="panel-body">{props.children}</div>
    </section>
  );
}

/** Colour plus a text label, so status never rests on colour alone. */
export function Badge(props: { tone: string; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge tone-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

export const jobTone = (status: string) => ({ completed: "ok", failed: "bad", processing: "busy", queued: "wait" })[status] ?? "plain";
export const httpTone = (status: number) => (status >= 500 ? "bad" : status >= 400 ? "warn" : status >= 300 ? "wait" : "ok");

/** One line that screen readers hear when an action finishes. */
export function StatusLine(props: { message: { text: string; error: boolean } | null }) {
  return (
    <p class={`status-line ${props.message?.error ? "is-error" : ""}`} role="status">
      {props.message?.text ?? ""}
    </p>
  );
}

export interface Column<T> {
  label: string;
  /** A CSS grid track, e.g. "6rem" or "minmax(8rem, 1fr)". */
  width: string;
  cell: (row: T, index: number) => ComponentChildren;
}

/**
 * A table that renders only the rows in view (plus a few), so 10,000 jobs or
 * a full journal cost the DOM a few dozen rows. `row(i)` may be undefined
 * while its page loads; `onRange` says which rows are wanted.
 */
export function VirtualTable<T>(props: {
  label: string;
  count: number;
  row: (i: number) => T | undefined;
  rowKey: (row: T, i: number) => string;
  columns: Column<T>[];
  rowHeight?: number;
  empty: string;
  onRange?: (start: number, end: number) => void;
  selected?: (row: T) => boolean;
}) {
  const rowHeight = props.rowHeight ?? 26;
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 400 });
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { start, end } = visibleRange(view.top, view.height, rowHeight, props.count);
  useEffect(() => props.onRange?.(start, end), [start, end, props.count]);
  const template = props.columns.map((c) => c.width).join(" ");
  const rows = [];
  for (let i = start; i < end; i++) {
    const row = props.row(i);
    const top = { top: `${i * rowHeight}px`, height: `${rowHeight}px`, gridTemplateColumns: template };
    rows.push(
      row === undefined ? (
        <div role="row" aria-rowindex={i + 2} class="vt-row is-loading" style={top} key={`loading-${i}`}>
          <span role="cell">Loading…</span>
        </div>
      ) : (
        <div role="row" aria-rowindex={i + 2} class={`vt-row ${props.selected?.(row) ? "is-selected" : ""}`} style={top} key={props.rowKey(row, i)}>
          {props.columns.map((c) => (
            <span role="cell" class="vt-cell">
              {c.cell(row, i)}
            </span>
          ))}
        </div>
      ),
    );
  }
  return (
    <div
      class="vt"
      ref={box}
      role="table"
      aria-label={props.label}
      aria-rowcount={props.count + 1}
      tabIndex={0}
      onScroll={(e) => setView({ top: (e.currentTarget as HTMLDivElement).scrollTop, height: (e.currentTarget as HTMLDivElement).clientHeight })}
    >
      <div role="row" aria-rowindex={1} class="vt-head" style={{ gridTemplateColumns: template }}>
        {props.columns.map((c) => (
          <span role="columnheader" title={c.label}>
            {c.label}
          </span>
        ))}
      </div>
      <div class="vt-body" role="rowgroup" style={{ height: `${Math.max(1, props.count) * rowHeight}px` }}>
        {props.count === 0 ? (
          <div role="row" class="vt-empty">
            <span role="cell">{props.empty}</span>
          </div>
        ) : (
          rows
        )}
      </div>
    </div>
  );
}
