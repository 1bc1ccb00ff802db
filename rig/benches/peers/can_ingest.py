"""The peer of `cargo bench -p rig --bench can_ingest`: the same socketcand text through
python-can's socketcand parser, cantools' decoding with the same DBC, and python-can's
candump-format log writer. Prints one line: `frames N seconds S log_bytes B`.

usage: python can_ingest.py FRAMES_FILE DBC_FILE LOG_FILE
"""

import os
import sys
import time

import can
import cantools
from can.interfaces.socketcand.socketcand import convert_ascii_message_to_can_message


def main() -> None:
    frames_file, dbc_file, log_file = sys.argv[1:4]
    db = cantools.database.load_file(dbc_file)
    with open(frames_file, "r", encoding="ascii") as f:
        text = f.read()
    start = time.process_time()
    frames = 0
    with can.CanutilsLogWriter(log_file) as log:
        # python-can's bus splits its receive buffer into `< ... >` elements the same way.
        for element in text.split(">"):
            element = element.strip()
            if not element:
                continue
            msg = convert_ascii_message_to_can_message(element + " >")
            if msg is None:
                continue
            try:
                db.decode_message(msg.arbitration_id, msg.data)
            except (KeyError, ValueError):
                pass
            log.on_message_received(msg)
            frames += 1
    seconds = time.process_time() - start
    print(f"frames {frames} seconds {seconds:.6f} log_bytes {os.path.getsize(log_file)}")


if __name__ == "__main__":
    main()
