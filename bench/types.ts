/** One figure a benchmark reports. */
export interface BenchResult {
  /** Area, e.g. "parser", "sigma", "anomaly", "sink", "ingest", "generator", "kafka", "pipe". */
  area: string;
  /** What was measured, e.g. "mixed corpus, 1M lines". */
  name: string;
  value: number;
  /** e.g. "events/s", "lines/s", "MB/s", "ms", "MB", "ratio". */
  unit: string;
  /** The target from the issue, if any, as readable text, e.g. ">= 300000". */
  target?: string;
  /** Whether the target was met (omit when there is no target). */
  met?: boolean;
  /** Anything a reader needs to interpret the number. */
  notes?: string;
}

/** Options every benchmark module's `run` accepts. */
export interface BenchOptions {
  /** Smaller inputs for a smoke run (`deno task bench --quick`). */
  quick: boolean;
}

/** The shape of every `bench/<area>_bench.ts` module. */
export interface BenchModule {
  run(opts: BenchOptions): Promise<BenchResult[]>;
}
