/**
 * A URL-backed select: its value is the route parameter `param`. With an `allLabel` (default "all")
 * the first option clears the parameter; without one, `fallback` is the value shown when it is unset.
 */
import { setParams } from "../hooks.js";
import type { Route } from "../lib/url-state.js";

export function FilterSelect(props: {
  route: Route;
  param: string;
  label: string;
  values: readonly string[];
  /** label of the option that clears the parameter; "" for none */
  allLabel?: string;
  /** value shown while the parameter is unset */
  fallback?: string;
  /** option text of a value */
  text?: (v: string) => string;
  testId?: string;
}) {
  const { route, param, label, values, allLabel = "all", fallback = "", text = (v) => v } = props;
  return (
    <label>
      {label}{" "}
      <select
        value={route.params[param] ?? fallback}
        onChange={(e) => setParams(route, { [param]: (e.target as HTMLSelectElement).value })}
        data-testid={props.testId ?? `filter-${param}`}
      >
        {allLabel && <option value="">{allLabel}</option>}
        {values.map((v) => (
          <option key={v} value={v}>
            {text(v)}
          </option>
        ))}
      </select>
    </label>
  );
}
