/**
 * Decides where generated text goes: to the caller as text, or into a tool call. With tools in
 * `auto` mode the model chooses: `<tool_call>` anywhere in its reply starts a call (the engine then
 * switches to the call grammar), and the text before it is plain text, as models write it
 * ("I'll read the file." and then the call). Text that could still turn out to be the start of
 * `<tool_call>`, and whitespace that would only separate the text from a call, is held back until
 * the next text decides. Stop strings are applied to plain text only.
 */
import { StopStringFilter } from "./textOutput.js";
import { REQUIRED_CALL_PREFIX, TOOL_CALL_OPEN } from "./toolCalls.js";

export type RouterMode = "text" | "call";

/** Length of the longest end of `text` that is a proper beginning of `marker`. */
function partialMarkerAtEnd(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(marker.slice(0, n))) return n;
  }
  return 0;
}

export class OutputRouter {
  private modeNow: RouterMode;
  /** Auto mode: text not shown yet because it may belong to a call. */
  private held = "";
  private call: string;
  private readonly watch: boolean;
  private readonly stops: StopStringFilter;

  constructor(tools: "none" | "required" | "auto", stops: readonly string[]) {
    this.modeNow = tools === "required" ? "call" : "text";
    this.watch = tools === "auto";
    this.call = tools === "required" ? REQUIRED_CALL_PREFIX : "";
    this.stops = new StopStringFilter(stops);
  }

  get mode(): RouterMode {
    return this.modeNow;
  }

  /** The tool call's text so far (`<tool_call>{...`). */
  get callText(): string {
    return this.call;
  }

  /** A stop string ended the text. */
  get stopped(): boolean {
    return this.stops.stopped;
  }

  /** Adds generated text; returns the part to show the caller now. */
  push(text: string): string {
    if (text === "") return "";
    if (this.modeNow === "call") {
      this.call += text;
      return "";
    }
    if (!this.watch) return this.stops.push(text);
    const buffer = this.held + text;
    const at = buffer.indexOf(TOOL_CALL_OPEN);
    if (at >= 0) {
      this.held = "";
      const before = this.stops.push(buffer.slice(0, at).trimEnd());
      // A stop string before the marker ended the reply: what follows it is not a call.
      if (this.stops.stopped) return before;
      this.modeNow = "call";
      this.call = buffer.slice(at);
      return before;
    }
    const partial = partialMarkerAtEnd(buffer, TOOL_CALL_OPEN);
    const settled = buffer.slice(0, buffer.length - partial);
    const shown = settled.trimEnd();
    this.held = buffer.slice(shown.length);
    return this.stops.push(shown);
  }

  /** At the end of generation: text still held back, which was plain text after all. */
  end(): string {
    if (this.modeNow === "call") return "";
    const held = this.held === "" ? "" : this.stops.push(this.held);
    this.held = "";
    return held + this.stops.flush();
  }
}
