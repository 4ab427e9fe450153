/**
 * A node-llama-cpp `TokenPredictor` that proposes tokens from the request's prediction (see
 * `PredictionCursor`). A token predictor is fixed per sequence when the sequence is created, so every
 * sequence gets one of these, and requests without a prediction simply leave it empty: it then
 * proposes nothing and decoding is plain.
 */
import type { Token, TokenPredictor } from "node-llama-cpp";
import type { NodeLlamaCpp } from "./native.js";
import { PredictionCursor, type PredictionCursorOptions } from "./predictionCursor.js";

export interface PredictionPredictor extends TokenPredictor {
  /**
   * Sets what the next generation should be compared with. `generated` are the tokens the request
   * already produced (after a preemption), so the cursor starts in step with them.
   */
  use(prediction: readonly number[] | undefined, generated: readonly number[]): void;
}

/** Built lazily because the base class lives in node-llama-cpp, which is only loaded on demand. */
export function createPredictionPredictor(
  nlc: NodeLlamaCpp,
  options: PredictionCursorOptions = {},
): PredictionPredictor {
  class Predictor extends nlc.TokenPredictor implements PredictionPredictor {
    private prediction: readonly number[] | undefined;
    private generated: readonly number[] = [];
    private cursor: PredictionCursor | undefined;

    use(prediction: readonly number[] | undefined, generated: readonly number[]): void {
      this.prediction = prediction;
      this.generated = generated.slice();
      this.cursor = undefined;
    }

    reset(): void {
      // Called when an evaluation starts; the state tokens are the prompt, which the cursor ignores.
      if (this.prediction === undefined || this.prediction.length === 0) {
        this.cursor = undefined;
        return;
      }
      this.cursor = new PredictionCursor(this.prediction, options);
      this.cursor.push(this.generated);
    }

    pushTokens(tokens: Token[]): void {
      this.cursor?.push(tokens);
    }

    predictTokens(): Token[] {
      return (this.cursor?.propose() ?? []) as Token[];
    }

    override dispose(): void {
      this.cursor = undefined;
      this.prediction = undefined;
    }
  }
  return new Predictor();
}
