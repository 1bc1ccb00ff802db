"""The peer of `cargo bench -p rig --bench step_overhead`: OpenHTF running a test of N
trivial phases, each with one measurement that is already within its limits, as rig runs
a plan of N steps of one expectation that is already true. Prints one line per count:
`phases N cpu_seconds C wall_seconds W outcome PASS`.

usage: python step_overhead.py N [N ...]
"""

import logging
import sys
import time

import openhtf as htf
from openhtf.util import console_output


@htf.measures(htf.Measurement("value").in_range(0, 100))
def trivial(test):
    test.measurements.value = 50


def run(phases: int):
    steps = [htf.PhaseOptions(name=f"step_{i}")(trivial) for i in range(phases)]
    test = htf.Test(*steps)
    outcome = []
    test.add_output_callbacks(lambda record: outcome.append(record.outcome.name))
    cpu, wall = time.process_time(), time.perf_counter()
    test.execute(test_start=lambda: "dut")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"phases {phases} cpu_seconds {cpu:.6f} wall_seconds {wall:.6f} outcome {outcome[0] if outcome else '?'}")


def main() -> None:
    # Quiet, as rig's bench is: no console summary (OpenHTF's --quiet), no log lines.
    console_output.CLI_QUIET = True
    logging.disable(logging.CRITICAL)
    for n in sys.argv[1:]:
        run(int(n))


if __name__ == "__main__":
    main()
