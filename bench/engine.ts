/**
 * Benchmark of the local Workflows engine: steps per second on a long loop and on a wide parallel
 * run, each against a baseline measured in the same run.
 *
 *   node bin/run-ts.js bench/engine.ts [--runs N]
 *
 * Baselines: the same loop written as plain JavaScript, synchronous and with one `await` per step
 * (the floor for any interpreter whose steps may block), and for the parallel run the same fan-out
 * as plain promises on a virtual clock of the engine.
 */
import { VirtualClock, parseWorkflow, runWorkflow } from '../runtime/local/engine';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  await fn(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

const LOOP_ITERATIONS = 33_000; // 3 steps per iteration: just under the 100,000-step limit
const loopWorkflow = parseWorkflow(
  `
main:
  steps:
    - init:
        assign:
          - total: 0
          - evens: 0
    - loop:
        for:
          value: i
          range: [1, ${LOOP_ITERATIONS}]
          steps:
            - add:
                assign:
                  - total: \${total + i}
            - check:
                switch:
                  - condition: \${i % 2 == 0}
                    next: even
                next: continue
            - even:
                assign:
                  - evens: \${evens + 1}
    - done:
        return: {total: '\${total}', evens: '\${evens}'}
`,
  'bench-loop.yaml',
);

const WIDTH = 2_000;
const parallelWorkflow = parseWorkflow(
  `
main:
  steps:
    - init:
        assign:
          - done: {}
    - fan:
        parallel:
          shared: [done]
          for:
            value: i
            range: [1, ${WIDTH}]
            steps:
              - work:
                  call: sys.sleep
                  args: {seconds: '\${30 + i % 7}'}
              - record:
                  assign:
                    - done[string(i)]: \${i * 2}
    - out:
        return: \${len(done)}
`,
  'bench-parallel.yaml',
);

async function main(): Promise<void> {
  let loopSteps = 0;
  const loopMs = await time(async () => {
    const out = await runWorkflow(loopWorkflow, { executionId: 'bench' });
    if (out.state !== 'SUCCEEDED') throw new Error(JSON.stringify(out.error));
    loopSteps = out.stats.steps;
  });
  const syncMs = await time(() => {
    let total = 0;
    let evens = 0;
    for (let i = 1; i <= LOOP_ITERATIONS; i++) {
      total += i;
      if (i % 2 === 0) evens++;
    }
    return total + evens;
  });
  const asyncStep = async (f: () => void): Promise<void> => f();
  const asyncMs = await time(async () => {
    let total = 0;
    let evens = 0;
    for (let i = 1; i <= LOOP_ITERATIONS; i++) {
      await asyncStep(() => {
        total += i;
      });
      await asyncStep(() => undefined);
      if (i % 2 === 0) await asyncStep(() => evens++);
    }
    return total + evens;
  });

  let parSteps = 0;
  let parVirtual = 0;
  const parMs = await time(async () => {
    const out = await runWorkflow(parallelWorkflow, { executionId: 'bench' });
    if (out.state !== 'SUCCEEDED') throw new Error(JSON.stringify(out.error));
    parSteps = out.stats.steps;
    parVirtual = out.stats.endTime - out.stats.startTime;
  });
  // Baseline: the same fan-out (20 at a time, each sleeping on the virtual clock, then recording
  // into a map) as plain promises on the engine's clock.
  const plainMs = await time(async () => {
    const clock = new VirtualClock();
    const done = new Map<string, number>();
    let next = 1;
    const worker = async (): Promise<void> => {
      while (next <= WIDTH) {
        const i = next++;
        await clock.sleep(30 + (i % 7));
        done.set(String(i), i * 2);
      }
      clock.leave();
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < 20; w++) {
      clock.enter();
      workers.push(worker());
    }
    await Promise.all(workers);
    if (done.size !== WIDTH) throw new Error('baseline lost work');
  });

  const rows = [
    ['long loop (engine)', loopSteps, loopMs],
    ['long loop, plain JS, synchronous', loopSteps, syncMs],
    ['long loop, plain JS, one await per step', loopSteps, asyncMs],
    ['wide parallel for (engine)', parSteps, parMs],
    ['wide parallel, plain promises on the same clock', parSteps, plainMs],
  ] as const;
  const lines = ['| run | steps | median ms | steps/s | engine time ÷ this |', '|---|---:|---:|---:|---:|'];
  for (const [name, steps, ms] of rows) {
    const engineMs = name.startsWith('long') ? loopMs : parMs;
    lines.push(
      `| ${name} | ${steps} | ${ms.toFixed(2)} | ${Math.round((steps / ms) * 1000).toLocaleString('en-US')} | ${(engineMs / ms).toFixed(1)} |`,
    );
  }
  console.log(lines.join('\n'));
  console.log(`\nparallel run: ${WIDTH} iterations, ${parVirtual} virtual seconds; ${RUNS} runs each, median; node ${process.version}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
