/**
 * The run's checkpoint: taken once, before the first write, so the run can be rolled back; at the
 * end, the diff against it says what the run changed (commands' changes included).
 */
import { CheckpointStore, type ChangedFile, type Checkpoint } from "../workspace/checkpoints.js";
import type { Spawner } from "../workspace/spawner.js";
import type { RunRecorder } from "./runRecorder.js";

export interface RunCheckpointOptions {
  root: string;
  runId: string;
  /** Takes a checkpoint before the first write. Defaults to true. */
  enabled?: boolean;
  /** Runs git for the checkpoint: the run owner's. */
  spawner: Spawner;
  /** The state folder, where shadow repositories for non-git roots live. */
  stateDir: string;
  recorder: RunRecorder;
  /** The checkpoint a resumed run already took. Defaults to none. */
  existing?: Checkpoint;
}

export class RunCheckpoint {
  private store: CheckpointStore | undefined;
  private checkpoint: Checkpoint | undefined;
  private taking: Promise<void> | undefined;

  constructor(private readonly options: RunCheckpointOptions) {
    this.checkpoint = options.existing;
    // A resumed run never takes a second checkpoint over its first.
    if (options.existing) this.taking = Promise.resolve();
  }

  get current(): Checkpoint | undefined {
    return this.checkpoint;
  }

  /** Takes the checkpoint the first time; a failure fails this and every later write of the run. */
  beforeWrite(): Promise<void> {
    if (this.options.enabled === false) return Promise.resolve();
    return (this.taking ??= (async () => {
      const store = await this.open();
      this.checkpoint = await store.create(this.options.runId);
      this.options.recorder.record({ type: "checkpoint", ref: this.checkpoint.ref, commit: this.checkpoint.commit });
      this.options.recorder.emit({ kind: "checkpoint", ref: this.checkpoint.ref });
    })());
  }

  /** What the run changed: the diff against the checkpoint, or the files it wrote when there is none. */
  async changedFiles(written: readonly string[]): Promise<ChangedFile[]> {
    await this.taking?.catch(() => undefined);
    const fallback: ChangedFile[] = [...written].sort().map((p) => ({ status: "modified", path: p }));
    const checkpoint = this.checkpoint;
    if (checkpoint === undefined) return fallback;
    return this.open()
      .then((store) => store.changedSince(checkpoint))
      .catch(() => fallback);
  }

  private async open(): Promise<CheckpointStore> {
    return (this.store ??= await CheckpointStore.open(this.options.root, {
      spawner: this.options.spawner,
      stateDir: this.options.stateDir,
    }));
  }
}
