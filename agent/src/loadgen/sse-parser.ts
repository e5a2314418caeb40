/**
 * Incremental Server-Sent Events parser (WHATWG EventSource rules) fed with raw bytes as they
 * arrive: handles events and UTF-8 characters split across chunks, LF / CRLF / CR line endings,
 * multi-line `data:`, comments and the `event:` field. Every event completed by a chunk is emitted
 * synchronously from `push`, so the caller can stamp it with the chunk's arrival time.
 */
import { StringDecoder } from "node:string_decoder";

export interface SseEvent {
  /** `event:` field, "message" when absent */
  event: string;
  data: string;
}

export class SseParser {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  /** the event's data lines joined by "\n"; meaningful only while hasData */
  private data = "";
  private hasData = false;
  private eventType = "";
  private lastWasCR = false;

  /** Feeds bytes (or text); calls `emit` for every event they complete. */
  push(chunk: Uint8Array | string, emit: (ev: SseEvent) => void): void {
    let text = typeof chunk === "string" ? chunk : this.decoder.write(chunk as Buffer);
    if (this.lastWasCR) {
      this.lastWasCR = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    const s = this.pending ? this.pending + text : text;
    this.pending = "";
    let pos = 0;
    let nextLF = s.indexOf("\n", pos);
    let nextCR = s.indexOf("\r", pos);
    while (pos < s.length) {
      if (nextLF !== -1 && nextLF < pos) nextLF = s.indexOf("\n", pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = s.indexOf("\r", pos);
      let end: number;
      let next: number;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) {
        end = nextCR;
        if (end + 1 < s.length) next = s.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        else {
          next = end + 1;
          this.lastWasCR = true;
        }
      } else if (nextLF !== -1) {
        end = nextLF;
        next = end + 1;
      } else {
        this.pending = s.slice(pos);
        return;
      }
      this.line(s.slice(pos, end), emit);
      pos = next;
    }
  }

  /**
   * Ends the stream. Per the SSE rules an event not terminated by a blank line is discarded;
   * returns true if such an unterminated event (or partial line) was left over.
   */
  end(): boolean {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    const leftover = rest.length > 0 || this.hasData;
    this.data = "";
    this.hasData = false;
    this.eventType = "";
    return leftover;
  }

  private line(line: string, emit: (ev: SseEvent) => void): void {
    if (line.length === 0) {
      if (this.hasData) emit({ event: this.eventType || "message", data: this.data });
      this.data = "";
      this.hasData = false;
      this.eventType = "";
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return; // comment
    // the hot case first: "data: …"
    if (line.startsWith("data:")) {
      this.addData(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      return;
    }
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    if (field === "data") this.addData(value);
    else if (field === "event") this.eventType = value;
    // id and retry are irrelevant to a benchmark client
  }

  private addData(value: string): void {
    this.data = this.hasData ? `${this.data}\n${value}` : value;
    this.hasData = true;
  }
}
