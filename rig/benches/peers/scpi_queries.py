"""The peer of `cargo bench -p rig --bench scpi_queries`: pyvisa with the pyvisa-py
backend asking the same served source `MEAS:VOLT?` over a raw socket, each answer parsed
as a number as rig's driver does. One round: WARM_UP untimed queries, then N timed one
by one (wall clock). Prints `us_per_query T1 T2 ...`, each query's microseconds.

usage: python scpi_queries.py PORT N WARM_UP
"""

import sys
import time

import pyvisa


def main() -> None:
    port, queries, warm_up = (int(a) for a in sys.argv[1:4])
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(
        f"TCPIP::127.0.0.1::{port}::SOCKET",
        read_termination="\n",
        write_termination="\n",
        timeout=2000,
    )
    for _ in range(warm_up):
        float(inst.query("MEAS:VOLT?"))
    times = [0.0] * queries
    clock = time.perf_counter
    for i in range(queries):
        start = clock()
        float(inst.query("MEAS:VOLT?"))
        times[i] = clock() - start
    inst.close()
    rm.close()
    print("us_per_query " + " ".join(f"{t * 1e6:.2f}" for t in times))


if __name__ == "__main__":
    main()
