/** Token login: the token is checked against the API, then kept in this browser. */
import { useState } from "preact/hooks";
import { setToken } from "../api.js";
import { type Identity, whoami } from "../session.js";

export function LoginView(props: { onLogin: (id: Identity) => void; message?: string }) {
  const [token, setTok] = useState("");
  const [err, setErr] = useState(props.message ?? "");
  const submit = async (e: Event) => {
    e.preventDefault();
    setToken(token.trim());
    try {
      props.onLogin(await whoami());
    } catch (x) {
      setToken("");
      setErr((x as Error).message);
    }
  };
  return (
    <section class="login">
      <h2>Sign in</h2>
      <p class="muted">Paste a viewer or operator token.</p>
      <form onSubmit={submit}>
        <input
          type="password"
          name="token"
          autocomplete="off"
          placeholder="token"
          value={token}
          onInput={(e) => setTok((e.target as HTMLInputElement).value)}
          data-testid="token"
        />
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      {err && (
        <p class="bad" data-testid="login-error">
          {err}
        </p>
      )}
    </section>
  );
}
