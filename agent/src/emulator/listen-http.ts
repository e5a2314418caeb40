/**
 * Starts an emulated role's HTTP server: listens with Nagle off on every connection, and gives the
 * bound port, a URL a client on this host can use (a wildcard host becomes 127.0.0.1) and a close
 * that drops the open connections instead of waiting for them.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface Listening {
  port: number;
  url: string;
  /** stops listening, destroys open connections, resolves once the server has closed */
  close(): Promise<void>;
}

export async function listenHttp(server: Server, port: number, host: string): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  const reach = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    port: bound,
    url: `http://${reach}:${bound}`,
    close: () => {
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      return done;
    },
  };
}
