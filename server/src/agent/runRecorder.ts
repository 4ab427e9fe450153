/**
 * `RunRecorder` is the one way a run tells anyone what it does: the transcript (kept in memory and,
 * when asked for, appended to a JSONL file) and the progress events. Everything passes the run's
 * redactor on the way, so no step has to remember to redact what it reports.
 */
import type { Redactor } from "./redaction.js";
import type { AgentEvent, RunEvents } from "./runEvents.js";
import { Transcript, type TranscriptEntry, type TranscriptRecord } from "./transcript.js";

export class RunRecorder {
  private readonly transcript: Transcript;

  constructor(
    private readonly runId: string,
    private readonly events: RunEvents,
    readonly redactor: Redactor,
    /** A JSONL file for the transcript. Defaults to none (memory only). */
    transcriptFile?: string,
  ) {
    this.transcript = new Transcript(redactor, transcriptFile);
  }

  /** What this recorder has recorded (a resumed run's recorder holds only what came after the resume). */
  get entries(): TranscriptEntry[] {
    return this.transcript.entries;
  }

  record(entry: TranscriptRecord): void {
    this.transcript.record(entry);
  }

  emit(event: AgentEvent): void {
    try {
      this.events.emit(this.runId, this.redactor.redactValue(event));
    } catch {
      // A broken progress display must not end the run.
    }
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  redactValue<T>(value: T): T {
    return this.redactor.redactValue(value);
  }
}
