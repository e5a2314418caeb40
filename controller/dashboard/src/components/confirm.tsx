/** A confirmation dialog for operator actions (drain, quarantine, cancel, retry). */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

export interface ConfirmRequest {
  title: string;
  body?: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  run: () => Promise<unknown>;
}

let open: ((r: ConfirmRequest) => void) | undefined;

export function confirmAction(r: ConfirmRequest): void {
  open?.(r);
}

export function ConfirmHost(props: { onError: (msg: string) => void }) {
  const [req, setReq] = useState<ConfirmRequest | undefined>();
  const [busy, setBusy] = useState(false);
  open = setReq;
  if (!req) return null;
  const go = async () => {
    setBusy(true);
    try {
      await req.run();
    } catch (e) {
      props.onError((e as Error).message);
    } finally {
      setBusy(false);
      setReq(undefined);
    }
  };
  return (
    <div class="modal-backdrop" role="dialog" aria-modal="true" aria-label={req.title}>
      <div class="modal">
        <h3>{req.title}</h3>
        {req.body && <div class="modal-body">{req.body}</div>}
        <div class="modal-actions">
          <button type="button" onClick={() => setReq(undefined)} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            class={req.danger ? "danger" : "primary"}
            onClick={go}
            disabled={busy}
            data-testid="confirm"
          >
            {req.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
