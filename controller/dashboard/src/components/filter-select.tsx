/** A URL-backed filter: a select of the distinct values of one column, "all" clears it. */
import { setParams } from "../hooks.js";
import type { Route } from "../lib/url-state.js";

export function FilterSelect(props: { route: Route; param: string; label: string; values: string[] }) {
  const { route, param, label, values } = props;
  return (
    <label>
      {label}{" "}
      <select
        value={route.params[param] ?? ""}
        onChange={(e) => setParams(route, { [param]: (e.target as HTMLSelectElement).value })}
        data-testid={`filter-${param}`}
      >
        <option value="">all</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}
