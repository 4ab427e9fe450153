/** `ask_user {question, options?}`: a question to the person running the task. */
import { ToolError, type Tool } from "./types.js";

export const askUserTool: Tool = {
  mutates: false,
  definition: {
    name: "ask_user",
    description: "Ask the user a question when the task is ambiguous and a wrong guess would be costly. Use sparingly.",
    parameters: {
      type: "object",
      properties: {
        question: { type: "string", minLength: 1 },
        options: {
          type: "array",
          items: { type: "string" },
          description: "Choices to offer, if the answer is one of a few.",
        },
      },
      required: ["question"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({ summary: String(args["question"]).slice(0, 120) }),
  async run(args, context) {
    const answer = await context.questions.askUser(
      context.runId,
      {
        question: args["question"] as string,
        ...(Array.isArray(args["options"]) && { options: args["options"] as string[] }),
      },
      context.signal,
    );
    if (answer === undefined) {
      throw new ToolError(
        "no_answer",
        "nobody can answer right now (the run is non-interactive); decide with your best judgement and say so in your final answer",
      );
    }
    return `the user answered: ${answer}`;
  },
};
