"""Serves the dashboard page from a laptop, for a board on the network.

    python tools/serve.py http://<board-address> [--port 8000] [--host 127.0.0.1]

The page and its runtime come from build/board/www on the laptop, with the
board's own caching headers; /schema, /data and /events go through to the
board, so the page makes no cross-origin request. When the board does not
answer, those paths get 502 {"error": "device unreachable ..."}: the page shows
the board offline and recovers when it is back.

The board refuses a request naming an Origin other than its own, and to the
board every relayed request comes from its own Host. So the relay refuses
(403) what names an Origin other than this server's, and drops the Origin of
its own page's requests; Authorization and the query string go through as
they come.
"""

import argparse
import gzip
import json
import os
import select
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WWW = os.path.join(ROOT, "build", "board", "www")
sys.path[:0] = [os.path.join(ROOT, "shared"), os.path.join(ROOT, "device")]
from dashschema import wire  # noqa: E402
from static_files import MIME_TYPES, StaticFiles  # noqa: E402

PROXIED = (wire.SCHEMA_PATH, wire.DATA_PATH, wire.EVENTS_PATH)
# Headers about one connection, not the request: not passed on.
HOP_BY_HOP = ("connection", "keep-alive", "proxy-authorization", "proxy-connection",
              "te", "trailer", "transfer-encoding", "upgrade", "host")
# Checked here, not by the board (see above).
NOT_RELAYED = HOP_BY_HOP + ("origin",)


class Handler(BaseHTTPRequestHandler):
    server_version = "splitdash-serve"
    # HTTP/1.1, not the board's 1.0: Chromium revalidates with the ETag only
    # what came over HTTP/1.1, so only then does a reload get 304s.
    protocol_version = "HTTP/1.1"
    #: Seconds an idle kept-alive connection stays open.
    timeout = 120
    #: Largest request body passed to the board, in bytes.
    max_body = 64 * 1024
    #: Seconds to wait for the board to accept a connection.
    connect_timeout_s = 3
    #: Seconds of silence from the board before a request is given up; a
    #: stream gets longer, the board pings it every 15 s.
    answer_timeout_s = 10
    stream_timeout_s = 60

    def do_GET(self):
        path = urlsplit(self.path).path
        if path in PROXIED:
            self.proxy()
        else:
            self.static("/index.html" if path == "/" else path)

    do_HEAD = do_GET

    def do_POST(self):
        if urlsplit(self.path).path in PROXIED:
            self.proxy()
        else:
            self.send_json(405, "method not allowed")

    # ---- the bundle ------------------------------------------------------

    def static(self, path):
        # Read per request: a rebuild while serving is picked up at once.
        try:
            with open(os.path.join(WWW, StaticFiles.manifest_name)) as f:
                entry = json.load(f).get(path)
        except OSError:
            return self.send_json(500, "no bundle in %s: run make build" % WWW)
        if entry is None:
            return self.send_json(404, "not found")
        headers = StaticFiles.headers(path, entry)
        if StaticFiles.unchanged(self.headers.get, entry):
            return self.send(304, headers)
        with open(WWW + path + ".gz", "rb") as f:
            body = f.read()
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        headers["Content-Type"] = MIME_TYPES.get(path.rsplit(".", 1)[-1],
                                                 "application/octet-stream")
        self.send(200, headers, body)

    # ---- the board -------------------------------------------------------

    def proxy(self):
        # The board answers HTTP/1.0, passed on as it comes: its end is the
        # connection's end.
        self.close_connection = True
        origin = self.headers.get("Origin")
        if origin is not None and origin != "http://" + self.headers.get("Host", ""):
            return self.send_json(403, "requests from %s are not allowed" % origin)
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.max_body:
            return self.send_json(413, "request too large")
        body = self.rfile.read(length)
        board = self.server.board
        try:
            upstream = socket.create_connection(board, timeout=self.connect_timeout_s)
        except OSError as exc:
            return self.unreachable(exc)
        with upstream:
            lines = ["%s %s HTTP/1.0" % (self.command, self.path), "Host: %s:%d" % board]
            lines += ["%s: %s" % kv for kv in self.headers.items()
                      if kv[0].lower() not in NOT_RELAYED]
            try:
                upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            except OSError as exc:
                return self.unreachable(exc)
            self.relay(upstream)

    def relay(self, upstream):
        """Pass the board's answer on byte for byte until it closes (it
        answers HTTP/1.0), or until the page leaves."""
        timeout = self.stream_timeout_s if urlsplit(self.path).path == wire.EVENTS_PATH \
            else self.answer_timeout_s
        client = self.connection
        answered = False
        while True:
            ready = select.select([upstream, client], [], [], timeout)[0]
            if not ready:
                reason = "no answer within %d s" % timeout
                break
            # A page sends nothing after its request: end-of-file means it
            # left, and closing our end then frees the board's stream slot.
            if client in ready and not _receive(client):
                return
            if upstream in ready:
                data = _receive(upstream)
                if not data:
                    reason = "the board closed the connection without answering"
                    break
                try:
                    client.sendall(data)
                except OSError:
                    return
                if not answered:
                    answered = True
                    self.server.report(True)
        if not answered:
            self.unreachable(reason)

    def unreachable(self, reason):
        self.server.report(False, reason)
        self.send_json(502, "device unreachable (%s): %s" % (self.server.url, reason))

    # ---- plumbing --------------------------------------------------------

    def send_json(self, status, error):
        body = json.dumps({"error": error, "widget": None}).encode()
        self.send(status, {"Content-Type": "application/json",
                           "Cache-Control": "no-store"}, body)

    def send(self, status, headers, body=b""):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # one line per poll would bury the board's ups and downs


def _receive(sock):
    """Bytes from a socket; b"" once it is closed or broken."""
    try:
        return sock.recv(65536)
    except OSError:
        return b""


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, url):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError("give the board's address like http://192.168.4.1 "
                             "or http://board.local:8080, not %r" % url)
        self.url = url.rstrip("/")
        self.board = (parts.hostname, parts.port or 80)
        self.board_up = None
        super().__init__(address, Handler)

    def report(self, up, reason=None):
        if up != self.board_up:
            self.board_up = up
            print("serve: board %s %s" % (self.url, "answers" if up else
                                          "is unreachable: %s" % reason), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device_url", metavar="DEVICE_URL",
                        help="the board's address, e.g. http://192.168.4.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0: the whole network)")
    args = parser.parse_args()
    try:
        server = Server((args.host, args.port), args.device_url)
    except ValueError as exc:
        sys.exit("serve: %s" % exc)
    print("serve: open http://%s:%d/ for the board at %s (Ctrl-C stops it)"
          % (args.host, args.port, server.url), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
