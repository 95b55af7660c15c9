/**
 * Runs stage binaries as a Unix-style pipe of subprocesses (each stage's
 * stdout into the next one's stdin), as a user's shell would. Used by the
 * demo, the end-to-end tests and the benchmarks.
 */

import { stageV8FlagsArg } from "../stages/shared/v8_flags.ts";

const root = new URL("..", import.meta.url).pathname;

/** One stage of a pipe: a CLI entry under `cli/` and its arguments. */
export interface PipeStage {
  /** e.g. "sentinel-parser" (runs `cli/sentinel-parser.ts`). */
  bin: string;
  args: string[];
}

/** How a finished stage ended. */
export interface StageResult {
  bin: string;
  code: number;
  /** What the stage wrote on stderr (logs). */
  stderr: string;
}

/** Options of {@link runPipe}. */
export interface PipeOptions {
  /** Bytes fed to the first stage's stdin; otherwise it gets none (EOF at once). */
  input?: Uint8Array;
  /** Let stderr through to the terminal instead of capturing it. */
  inheritStderr?: boolean;
  /** Capture the last stage's stdout (default true); otherwise inherited. */
  captureStdout?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  /** Keep a copy of what each stage wrote on stdout (tests inspect every hop). */
  tap?: boolean;
}

/** Result of {@link runPipe}. */
export interface PipeResult {
  stages: StageResult[];
  /** The last stage's stdout, when captured. */
  stdout: Uint8Array;
  /** With `tap`: what each stage wrote on stdout, in order. */
  taps?: Uint8Array[];
}

/**
 * The command that runs a stage from source, as `deno task <stage>` does
 * (`deno run -A` with the stages' V8 flags), plus `extra` run flags.
 */
export function stageCommand(bin: string, extra: string[] = []): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    stageV8FlagsArg(bin),
    ...extra,
    `${root}cli/${bin}.ts`,
  ];
}

/** Runs `stages` connected by pipes and waits for all of them. */
export async function runPipe(
  stages: PipeStage[],
  opts: PipeOptions = {},
): Promise<PipeResult> {
  const procs: Deno.ChildProcess[] = [];
  const stderrs: Promise<string>[] = [];
  for (let i = 0; i < stages.length; i++) {
    const [cmd, ...pre] = stageCommand(stages[i].bin);
    const last = i === stages.length - 1;
    const p = new Deno.Command(cmd, {
      args: [...pre, ...stages[i].args],
      stdin: i === 0 && !opts.input ? "null" : "piped",
      stdout: last && opts.captureStdout === false ? "inherit" : "piped",
      stderr: opts.inheritStderr ? "inherit" : "piped",
      env: opts.env,
      cwd: opts.cwd ?? root,
    }).spawn();
    procs.push(p);
    stderrs.push(
      opts.inheritStderr ? Promise.resolve("") : new Response(p.stderr).text(),
    );
  }
  const transfers: Promise<void>[] = [];
  if (opts.input) {
    const w = procs[0].stdin.getWriter();
    // A stage that stops reading early shows in its exit code and stderr;
    // the broken pipe on our side is not a second error.
    w.closed.catch(() => {});
    transfers.push(w.write(opts.input).then(() => w.close()).catch(() => {}));
  }
  const taps: Uint8Array[][] = stages.map(() => []);
  for (let i = 0; i + 1 < procs.length; i++) {
    transfers.push(
      opts.tap
        ? copyWithTap(procs[i].stdout, procs[i + 1].stdin, taps[i])
        : procs[i].stdout.pipeTo(procs[i + 1].stdin),
    );
  }
  const lastOut = opts.captureStdout === false
    ? Promise.resolve(new Uint8Array())
    : new Response(procs[procs.length - 1].stdout).bytes();
  const statuses = await Promise.all(procs.map((p) => p.status));
  await Promise.allSettled(transfers);
  const texts = await Promise.all(stderrs);
  return {
    stages: stages.map((s, i) => ({
      bin: s.bin,
      code: statuses[i].code,
      stderr: texts[i],
    })),
    stdout: await lastOut,
    taps: opts.tap
      ? taps.map((t, i) => i === taps.length - 1 ? undefined : concat(t))
        .filter((t): t is Uint8Array => t !== undefined)
      : undefined,
  };
}

async function copyWithTap(
  from: ReadableStream<Uint8Array>,
  to: WritableStream<Uint8Array>,
  tap: Uint8Array[],
): Promise<void> {
  const w = to.getWriter();
  w.closed.catch(() => {});
  try {
    for await (const chunk of from) {
      tap.push(chunk.slice());
      await w.write(chunk);
    }
    await w.close();
  } catch {
    // the next stage went away; its exit code tells why
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
