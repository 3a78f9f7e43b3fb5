"""Sample worker: every 5 seconds appends a line to /tmp/worker.log, until stopped."""

import hashlib
import signal
import sys
import time

LOG = "/tmp/worker.log"
INTERVAL = 5


def stop(signum: int, frame: object) -> None:
    """docker stop sends SIGTERM: leave the loop and exit 0."""
    sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    print(f"working every {INTERVAL}s into {LOG}", flush=True)
    digest = b"layerwise"
    count = 0
    try:
        while True:
            count += 1
            for _ in range(10_000):
                digest = hashlib.sha256(digest).digest()
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(f"job {count}: {digest.hex()[:16]}\n")
            time.sleep(INTERVAL)
    finally:
        print(f"stopping after {count} jobs", flush=True)


if __name__ == "__main__":
    main()
