"""Sample web app: answers every GET on port 8080 with a short text page."""

import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = 8080


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"layerwise sample web on {socket.gethostname()}: {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def stop(signum: int, frame: object) -> None:
    """docker stop sends SIGTERM: leave serve_forever and exit 0."""
    sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    with HTTPServer(("", PORT), Handler) as server:
        print(f"listening on port {PORT}", flush=True)
        try:
            server.serve_forever()
        finally:
            print("stopping", flush=True)


if __name__ == "__main__":
    main()
