/** Splits a byte/character stream into complete lines; keeps the partial tail until the next chunk. */
export class LineSplitter {
  private tail = "";
  /** feed a chunk; returns the complete lines it finished (without line endings) */
  push(chunk: string | Buffer): string[] {
    const text = this.tail + (typeof chunk === "string" ? chunk : chunk.toString("utf8"));
    const parts = text.split(/\r?\n/);
    this.tail = parts.pop() ?? "";
    return parts;
  }
  /** the unterminated last line, if any (call at end of stream) */
  flush(): string[] {
    const t = this.tail;
    this.tail = "";
    return t ? [t] : [];
  }
}
