/**
 * A Server-Sent Events parser for streaming completions. It follows the WHATWG event-stream rules
 * that matter here: lines may be split across network chunks, several events may share a chunk,
 * `:` lines are keep-alive comments, and a `data:` field may span several lines.
 */

export interface SseEvent {
  /** The `event:` field, or `message` when the server sent none. */
  event: string;
  /** The `data:` lines of the event, joined with newlines. */
  data: string;
}

/** Turns a byte stream into SSE events. Ends when the stream ends; a trailing unterminated event is dropped, as the spec says. */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "";
  // A chunk may end between the \r and \n of one line break; remember it so the \n is not read as an empty line.
  let skipLeadingLf = false;

  const takeLine = (line: string): SseEvent | undefined => {
    if (line === "") {
      if (data.length === 0) {
        event = "";
        return undefined;
      }
      const out = { event: event || "message", data: data.join("\n") };
      data = [];
      event = "";
      return out;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    return undefined;
  };

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (skipLeadingLf && buffer.startsWith("\n")) buffer = buffer.slice(1);
    skipLeadingLf = false;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      const out = takeLine(buffer.slice(start, i));
      if (out) yield out;
      if (ch === "\r") {
        if (i + 1 === buffer.length) skipLeadingLf = true;
        else if (buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }
}
