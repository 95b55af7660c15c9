/**
 * The traffic generator core: a deterministic function of the seed, the
 * virtual start time and rate, the tenants and the injected scenarios. It
 * knows nothing of wall-clock time or I/O; pacing and output live in
 * `pace.ts` and the CLI.
 *
 * Virtual clock: event number i (0-based) happens at
 * `start + i × 1000 / virtualRate` ms. Injected scenario events take the
 * next free slots once their planned time has come, so the stream keeps the
 * configured rate and stays ordered by event time.
 */
import type { RawEvent } from "../shared/contracts/mod.ts";
import { uuidFromRandom } from "../shared/ids.ts";
import { SeededRandom } from "./prng.ts";
import { BaselineTraffic } from "./baseline.ts";
import {
  buildTenant,
  DEFAULT_TENANTS,
  type TenantProfile,
} from "./entities.ts";
import { type EventFacts, KIND_CATEGORY, renderEvent } from "./render.ts";
import {
  type InjectSpec,
  planScenario,
  type ScenarioName,
  SCENARIOS,
} from "./scenarios.ts";
import { isoTimeReceived } from "./formats.ts";

/** Virtual events per second when the output rate is unbounded (`--rate 0`). */
export const UNPACED_VIRTUAL_RATE = 1000;

/** Options of {@link TrafficGenerator}. */
export interface GeneratorOptions {
  /** Any text; equal seeds (with equal other options) give equal output. */
  seed: string;
  /** Virtual time of the first event, ms since the epoch. */
  startMs: number;
  /** Events per virtual second (> 0). */
  virtualRate: number;
  /** Tenant names. @default DEFAULT_TENANTS */
  tenants?: string[];
  injects?: InjectSpec[];
  /** `ingest_node` of every event. @default "sentinel-generator" */
  node?: string;
  /**
   * Total events of the run when known. Scenarios without `at`/`span` are
   * then placed at 10 % of the run and compressed to end by 85 % of it.
   */
  plannedCount?: number;
}

/** A scheduled scenario event. */
interface Scheduled {
  atMs: number;
  scenario: ScenarioName;
  role: string;
  tenant: string;
  facts: EventFacts;
  /** Tie-breaker keeping the order stable. */
  seq: number;
}

/** Per-scenario bookkeeping for the summary. */
export interface ScenarioStats {
  planned: number;
  emitted: number;
  /** Virtual time of the first emitted event. */
  firstMs?: number;
  lastMs?: number;
}

/** Generates RawEvents one at a time or in batches. */
export class TrafficGenerator {
  readonly tenants: TenantProfile[];
  readonly #rng: SeededRandom;
  readonly #ids: SeededRandom;
  readonly #baseline: BaselineTraffic;
  readonly #startMs: number;
  readonly #msPerEvent: number;
  readonly #node: string;
  readonly #schedule: Scheduled[];
  #next = 0;
  #index = 0;
  readonly #byCategory: Record<string, number> = {};
  readonly #byScenario = new Map<string, ScenarioStats>();

  constructor(opts: GeneratorOptions) {
    if (!(opts.virtualRate > 0)) {
      throw new RangeError("virtualRate must be > 0");
    }
    const names = opts.tenants?.length ? opts.tenants : DEFAULT_TENANTS;
    const entityRng = new SeededRandom(`${opts.seed}|entities`);
    this.tenants = names.map((n, i) => buildTenant(n, i, entityRng));
    this.#rng = new SeededRandom(`${opts.seed}|baseline`);
    this.#ids = new SeededRandom(`${opts.seed}|ids`);
    this.#baseline = new BaselineTraffic(this.tenants, this.#rng);
    this.#startMs = opts.startMs;
    this.#msPerEvent = 1000 / opts.virtualRate;
    this.#node = opts.node ?? "sentinel-generator";
    this.#schedule = this.#plan(opts);
  }

  #plan(opts: GeneratorOptions): Scheduled[] {
    const out: Scheduled[] = [];
    const runMs = opts.plannedCount !== undefined
      ? opts.plannedCount * this.#msPerEvent
      : undefined;
    let seq = 0;
    (opts.injects ?? []).forEach((spec, i) => {
      const def = SCENARIOS[spec.name];
      const tenant = spec.params.tenant
        ? this.tenants.find((t) => t.name === spec.params.tenant)
        : this.tenants[0];
      if (!tenant) throw new RangeError(`unknown tenant ${spec.params.tenant}`);
      const atMs = spec.params.at !== undefined
        ? Number(spec.params.at) * 1000
        : runMs !== undefined
        ? runMs * 0.1
        : 5000;
      const naturalMs = def.naturalSpanS * 1000;
      let spanMs = spec.params.span !== undefined
        ? Number(spec.params.span) * 1000
        : naturalMs;
      if (spec.params.span === undefined && runMs !== undefined) {
        spanMs = Math.min(spanMs, Math.max(0, runMs * 0.85 - atMs));
      }
      const scale = naturalMs > 0 ? spanMs / naturalMs : 0;
      const planned = planScenario(spec, tenant, opts.seed, i);
      const stats = this.#byScenario.get(spec.name) ??
        { planned: 0, emitted: 0 };
      stats.planned += planned.length;
      this.#byScenario.set(spec.name, stats);
      for (const p of planned) {
        out.push({
          atMs: this.#startMs + atMs + p.offsetMs * scale,
          scenario: spec.name,
          role: p.role,
          tenant: tenant.name,
          facts: p.facts,
          seq: seq++,
        });
      }
    });
    out.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    return out;
  }

  /** Number of events generated so far. */
  get generated(): number {
    return this.#index;
  }

  /** Virtual time of the next event, ms since the epoch. */
  get virtualNowMs(): number {
    return this.#startMs + Math.floor(this.#index * this.#msPerEvent);
  }

  /** Scenario events planned but not yet emitted. */
  get pendingScenarioEvents(): number {
    return this.#schedule.length - this.#next;
  }

  /** The next event. */
  next(): RawEvent {
    const ms = this.virtualNowMs;
    this.#index++;
    const s = this.#schedule[this.#next];
    let tenant: string, facts: EventFacts;
    let scheduled: Scheduled | undefined;
    if (s !== undefined && s.atMs <= ms) {
      this.#next++;
      scheduled = s;
      tenant = s.tenant;
      facts = s.facts;
      const st = this.#byScenario.get(s.scenario)!;
      st.emitted++;
      st.firstMs ??= ms;
      st.lastMs = ms;
    } else {
      const b = this.#baseline.next(ms);
      tenant = b.tenant.name;
      facts = b.facts;
    }
    const cat = KIND_CATEGORY[facts.kind];
    this.#byCategory[cat] = (this.#byCategory[cat] ?? 0) + 1;
    const rendered = renderEvent(facts, ms);
    const ev: RawEvent = {
      record: "raw_event",
      event_id: uuidFromRandom(this.#ids.uint32),
      // Collection lag between the system writing the line and ingest.
      received_at: isoTimeReceived(ms + 5 + (this.#ids.uint32() % 250)),
      tenant,
      source_name: rendered.sourceName,
      transport: "generator",
      ingest_node: this.#node,
      payload: rendered.payload,
    };
    if (scheduled) {
      ev.ground_truth = { scenario: scheduled.scenario, role: scheduled.role };
    }
    return ev;
  }

  /** The next `n` events. */
  nextBatch(n: number): RawEvent[] {
    const out = new Array<RawEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }

  /** Events by category so far. */
  byCategory(): Record<string, number> {
    return { ...this.#byCategory };
  }

  /** Scenario bookkeeping so far (planned vs emitted, virtual times). */
  byScenario(): Record<string, ScenarioStats> {
    return Object.fromEntries(
      [...this.#byScenario].map(([k, v]) => [k, { ...v }]),
    );
  }
}
