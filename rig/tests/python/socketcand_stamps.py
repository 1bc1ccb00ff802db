"""python-can's socketcand client against `rig sim serve`: reads frames for about two
wall seconds and prints, as JSON, each frame's wall time (monotonic), its stamp, its id,
and the signals cantools decodes from 0x351 and 0x355 with the shipped DBC.

Usage: socketcand_stamps.py HOST PORT DBC
"""

import json
import sys
import time

import can
import cantools


def main() -> None:
    host, port, dbc = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = cantools.database.load_file(dbc)
    bus = can.Bus(interface="socketcand", host=host, port=port, channel="can0")
    frames = []
    decoded = {}
    try:
        start = time.monotonic()
        while time.monotonic() - start < 2.0:
            msg = bus.recv(timeout=1.0)
            if msg is None:
                continue
            frames.append([time.monotonic(), msg.timestamp, msg.arbitration_id])
            if msg.arbitration_id in (0x351, 0x355):
                decoded.update(db.decode_message(msg.arbitration_id, msg.data))
    finally:
        bus.shutdown()
    print(
        json.dumps(
            {
                "epoch_at_end": time.time(),
                "frames": frames,
                "decoded": decoded,
                "python_can": can.__version__,
                "cantools": cantools.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
