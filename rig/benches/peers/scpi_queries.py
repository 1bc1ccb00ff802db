"""The peer of `cargo bench -p rig --bench scpi_queries`: pyvisa with the pyvisa-py
backend asking the same served source `MEAS:VOLT?` over a raw socket, each answer parsed
as a number as rig's driver does. Prints `queries N seconds S`: the median of ROUNDS
rounds of N queries, wall clock, after 100 untimed ones.

usage: python scpi_queries.py PORT N ROUNDS
"""

import statistics
import sys
import time

import pyvisa


def main() -> None:
    port, queries, rounds = (int(a) for a in sys.argv[1:4])
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(
        f"TCPIP::127.0.0.1::{port}::SOCKET",
        read_termination="\n",
        write_termination="\n",
        timeout=2000,
    )
    for _ in range(100):
        float(inst.query("MEAS:VOLT?"))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(queries):
            float(inst.query("MEAS:VOLT?"))
        times.append(time.perf_counter() - start)
    inst.close()
    rm.close()
    print(f"queries {queries} seconds {statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
