/** State and "emulated" badges. */
export function StateBadge(props: { state: string }) {
  return <span class={`badge st-${props.state}`}>{props.state}</span>;
}

export function EmulatedBadge() {
  return (
    <span class="badge emulated" title="measured on the emulated engine, not on real GPUs">
      emulated
    </span>
  );
}
