/**
 * Decides where generated text goes: to the caller as text, or into a tool call. With tools in
 * `auto` mode the model chooses: text that starts with `<tool_call>` is a call (the engine then
 * switches to the call grammar), anything else is plain text; until the start is decided, the text
 * is held back. Stop strings are applied to plain text only.
 */
import { StopStringFilter } from "./textOutput.js";
import { REQUIRED_CALL_PREFIX, TOOL_CALL_OPEN } from "./toolCalls.js";

export type RouterMode = "text" | "probe" | "call";

export class OutputRouter {
  private modeNow: RouterMode;
  private probe = "";
  private call: string;
  private readonly stops: StopStringFilter;

  constructor(tools: "none" | "required" | "auto", stops: readonly string[]) {
    this.modeNow = tools === "required" ? "call" : tools === "auto" ? "probe" : "text";
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
    if (this.modeNow === "probe") {
      this.probe += text;
      const start = this.probe.trimStart();
      if (start.startsWith(TOOL_CALL_OPEN)) {
        this.modeNow = "call";
        this.call = start;
        this.probe = "";
        return "";
      }
      if (TOOL_CALL_OPEN.startsWith(start)) return "";
      this.modeNow = "text";
      text = this.probe;
      this.probe = "";
    }
    return this.stops.push(text);
  }

  /** At the end of generation: text still held back, which was plain text after all. */
  end(): string {
    if (this.modeNow === "call") return "";
    const held = this.modeNow === "probe" ? this.stops.push(this.probe) : "";
    this.probe = "";
    if (this.modeNow === "probe") this.modeNow = "text";
    return held + this.stops.flush();
  }
}
