/**
 * Completions as you type: a document and a cursor in, the ghost text to show (or nothing) out.
 * The front end (`lsp/completionHandlers.ts`) turns `textDocument/inlineCompletion` into calls
 * here; this module knows nothing of LSP.
 *
 * Speed is the feature, so each request takes the cheapest way that is still right: the cache
 * (the user typed the start of the suggestion that is showing); else, after the debounce, the
 * `fim` engine at interactive priority with a prompt whose prefix the engine has mostly evaluated
 * already (`promptWindow.ts`), generating no more lines than can be shown. A newer request for the
 * same document cancels the older one, and so does the editor's `$/cancelRequest`. A completion
 * the editor asked for on its own also has a time budget (`decodeBudget.ts`): past it, decoding
 * stops and what is useful so far is shown, since an answer after the next keystroke is never seen.
 *
 * An engine without fill-in-the-middle (a chat model without FIM tokens, a server without an FIM
 * endpoint) completes from the prefix alone, said once in the log: the suffix is then unknown to
 * the model, and the cleanup (one line in the middle of a line, no repeat of the suffix) keeps
 * what it writes from clashing with the code after the cursor.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine, Usage, Timing } from "@bora/inference";
import type { CompletionSettings } from "@bora/protocol";
import type { Logger } from "../host/logger.js";
import { CompletionCache } from "./completionCache.js";
import { cleanCompletion, lineLimit } from "./completionCleanup.js";
import { DecodeBudget } from "./decodeBudget.js";
import { promptWindow } from "./promptWindow.js";
import { LatestPerDocument, debounceDelay, type CompletionTrigger } from "./requestRules.js";

/**
 * Most tokens per line a completion may generate. A line of code is rarely over 80 characters
 * (about 20 tokens); the cap bounds the time a model that never ends its line (a long string,
 * random weights) can take.
 */
export const MAX_TOKENS_PER_LINE = 24;

export interface CompletionRequest {
  uri: string;
  /** The whole document as the host holds it. */
  text: string;
  /** The cursor, in UTF-16 code units from the start of `text`. */
  offset: number;
  trigger: CompletionTrigger;
}

export interface Completion {
  /** Text to insert at the cursor. */
  text: string;
  /** Where it came from: a known completion (no model call) or the model. */
  source: "cache" | "model";
}

/** The engines this service uses: the `fim` role's (undefined while no model runs). */
export interface CompletionEngines {
  forRole(role: "fim"): Promise<Engine | undefined>;
}

export class CompletionService {
  private readonly cache = new CompletionCache();
  private readonly latest = new LatestPerDocument();
  /** Engines already said to lack FIM, so the log says it once per engine. */
  private readonly toldNoFim = new WeakSet<Engine>();
  private lastFailure = "";

  constructor(
    private readonly engines: CompletionEngines,
    /** Read at each request, so a settings change applies to the next keystroke. */
    private readonly settings: () => CompletionSettings,
    private readonly logger: Logger,
    /** Milliseconds, for the time budget (a test's clock can stand in). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The completion at `request`'s cursor, or undefined: completions off, no model, nothing worth
   * showing, or cancelled (by `signal`, the editor's cancel, or a newer request for the document).
   */
  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<Completion | undefined> {
    const settings = this.settings();
    if (!settings.enabled) return undefined;
    const started = this.now();
    const window = promptWindow(request.text, request.offset);
    const key = { uri: request.uri, prefix: window.prefix, suffix: window.suffix };
    // An invoked completion waits for the whole answer, so a cut one does not stand for it.
    const cached = this.cache.lookup(key, { acceptCut: request.trigger === "automatic" });
    if (cached !== undefined) {
      // Still the newest request: an older one in flight is for a text that is gone.
      this.latest.start(request.uri).finish();
      this.logger.debug(`completion from cache: chars=${cached.length}`);
      return { text: cached, source: "cache" };
    }

    const run = this.latest.start(request.uri, signal);
    try {
      const delay = debounceDelay(request.trigger, settings.debounceMs);
      if (delay > 0) {
        this.logger.debug(`completion waits: debounceMs=${delay}`);
        await sleep(delay, undefined, { signal: run.signal });
      }
      const engine = await this.engines.forRole("fim");
      if (engine === undefined || run.signal.aborted) return undefined;
      const fim = engine.info.capabilities.fim;
      if (!fim && !this.toldNoFim.has(engine)) {
        this.toldNoFim.add(engine);
        this.logger.info(
          `completions: ${engine.info.model} has no fill-in-the-middle support, so it completes from the text before the cursor only; set bora.models.fim to a code model with FIM tokens for better and faster completions`,
        );
      }
      const lines = lineLimit(window, settings.maxLines);
      const waitedMs = this.now() - started;
      const generated = await this.generate(engine, {
        prompt: window.prefix,
        ...(fim ? { suffix: window.suffix } : {}),
        lines,
        signal: run.signal,
        // The user asked for it (a command, a keybinding), or turned the budget off: they wait for the whole answer.
        budget: new DecodeBudget(
          request.trigger === "automatic" && settings.budgetMs > 0
            ? Math.max(0, settings.debounceMs) + settings.budgetMs
            : undefined,
        ),
        started,
      });
      const { usage, timing } = generated;
      const tokens =
        `promptTokens=${usage.promptTokens} cachedTokens=${usage.cachedPromptTokens ?? 0} ` +
        `tokens=${usage.completionTokens}`;
      if (run.signal.aborted) {
        this.logger.debug(`completion cancelled: ms=${Math.round(this.now() - started)} ${tokens}`);
        return undefined;
      }
      const text =
        generated.text === undefined ? undefined : cleanCompletion(generated.text, window, settings.maxLines);
      if (text !== undefined) this.cache.remember(key, text, generated.cut);
      this.logger.debug(
        `completion done: ms=${Math.round(this.now() - started)} waitedMs=${Math.round(waitedMs)} ` +
          `ttftMs=${Math.round(timing.ttftMs)} decodeMs=${Math.round(timing.totalMs - timing.ttftMs)} ${tokens} ` +
          `cut=${generated.cut ? "yes" : "no"} chars=${text?.length ?? 0} shown=${text === undefined ? "no" : "yes"}`,
      );
      return text === undefined ? undefined : { text, source: "model" };
    } catch (error) {
      if (run.signal.aborted) return undefined;
      // Completions fire on every keystroke: a lasting failure is logged once, not per key.
      const message = (error as Error).message ?? String(error);
      if (message !== this.lastFailure) this.logger.warn(`completion failed: ${message}`);
      this.lastFailure = message;
      return undefined;
    } finally {
      run.finish();
    }
  }

  /** Forgets what it knows of a closed document. */
  forget(uri: string): void {
    this.cache.forget(uri);
  }

  /**
   * Runs the model, stopping as soon as it has written `lines` lines (what is past them is never
   * shown, so it is not worth decoding), or when its time budget, counted from `started`, says so.
   * `text` is what to show of the output (undefined: nothing), `cut` whether the budget cut it.
   */
  private async generate(
    engine: Engine,
    request: {
      prompt: string;
      suffix?: string;
      lines: number;
      signal: AbortSignal;
      budget: DecodeBudget;
      started: number;
    },
  ): Promise<{ text: string | undefined; cut: boolean; usage: Usage; timing: Timing }> {
    const enough = new AbortController();
    const stop = (): void => enough.abort();
    request.signal.addEventListener("abort", stop, { once: true });
    let text = "";
    let cut: { text: string | undefined } | undefined;
    try {
      for await (const event of engine.complete({
        prompt: request.prompt,
        ...(request.suffix !== undefined ? { suffix: request.suffix } : {}),
        priority: "interactive",
        maxTokens: MAX_TOKENS_PER_LINE * request.lines,
        temperature: 0,
        // One line: the engine stops at the line break itself.
        ...(request.lines === 1 ? { stop: ["\n"] } : {}),
        signal: enough.signal,
      })) {
        if (event.type === "text") {
          if (cut !== undefined) continue;
          text += event.text;
          if (text.split("\n").length > request.lines) {
            enough.abort();
            continue;
          }
          const decision = request.budget.next(text, this.now() - request.started);
          if (decision.stop) {
            cut = { text: decision.text };
            enough.abort();
          }
        } else if (event.type === "done") {
          if (cut !== undefined) return { text: cut.text, cut: true, usage: event.usage, timing: event.timing };
          return { text, cut: false, usage: event.usage, timing: event.timing };
        }
      }
      throw new Error("the engine's stream ended without a done event");
    } finally {
      request.signal.removeEventListener("abort", stop);
    }
  }
}
