/**
 * The hidden marker of a write-back: `<!-- bora:<taskId>:<step> -->`. A durable workflow runs each side
 * effect as a step that may run again after a crash, even after its external call succeeded, so each
 * write looks its marker up at the external system before it creates anything: the marker, not the
 * workflow's memory, is what makes a comment, a PR or a message exist exactly once.
 */

/**
 * What a task id or step name may hold. The marker's own delimiters (`:`, whitespace, `<`, `>`) are
 * left out, so no two (taskId, step) pairs can write the same marker ("a:b" + "c" vs "a" + "b:c"),
 * and no marker can end the HTML comment that hides it.
 */
const PART = /^[A-Za-z0-9._#/@+=-]+$/;

function checkPart(what: string, value: string): string {
  if (!PART.test(value))
    throw new Error(`a write-back marker's ${what} may hold only letters, digits and . _ # / @ + = -: '${value}'`);
  return value;
}

/** The marker of step `step` of task `taskId`, as it is written into a body. */
export function writeMarker(taskId: string, step: string): string {
  return `<!-- bora:${checkPart("task id", taskId)}:${checkPart("step", step)} -->`;
}

/** Whether `text` holds the marker of exactly this task and step (not a longer task id, not another step). */
export function hasMarker(text: string | null | undefined, taskId: string, step: string): boolean {
  return typeof text === "string" && text.includes(writeMarker(taskId, step));
}

/** `body` with the marker on a line of its own at the end, unless it is there already. */
export function withMarker(body: string, taskId: string, step: string): string {
  if (hasMarker(body, taskId, step)) return body;
  const marker = writeMarker(taskId, step);
  return body.trim() === "" ? marker : `${body.trimEnd()}\n\n${marker}`;
}
