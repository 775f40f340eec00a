"""The hub: every board's page served from a laptop, with their history.

    python tools/serve.py http://<board> [name=http://<board> ...] [--boards boards.json]
                          [--port 8000] [--host 127.0.0.1] [--token T]
                          [--db hub.sqlite] [--keep-days 30] [--no-history]
    python tools/serve.py export --db hub.sqlite BOARD [WIDGET] [--from 24h] [--to now]

The fleet page is at ``/``, each board's page at ``/b/<name>/``, the bundle
from build/board/www. The hub reads one stream per board, whatever the
pages open on it, and keeps every value in SQLite (see tools/hub/).
``export`` writes the CSV of a board, or of one of its widgets, from the
database, hub running or not. Times: ISO 8601 (UTC unless it says), ``now``
or how long ago: ``90s``, ``15m``, ``24h``, ``7d``.
"""

import argparse
import asyncio
import ipaddress
import os
import secrets
import sys
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WWW = os.path.join(ROOT, "build", "board", "www")
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), os.path.join(ROOT, "shared"),
                os.path.join(ROOT, "device")]
from hub import boards, history  # noqa: E402
from hub.app import Hub  # noqa: E402
from hub.link import BoardLink  # noqa: E402

UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def log(line):
    print(line, flush=True)


def when(text):
    """ms since the epoch of a --from/--to."""
    if text == "now":
        return history.now_ms()
    if text[-1:] in UNITS_S and text[:-1].lstrip("-").replace(".", "", 1).isdigit():
        return history.now_ms() - int(float(text[:-1].lstrip("-")) * UNITS_S[text[-1]] * 1000)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def export(argv):
    parser = argparse.ArgumentParser(prog="serve.py export",
                                     description="CSV of a board's history, or a widget's")
    parser.add_argument("board")
    parser.add_argument("widget", nargs="?")
    parser.add_argument("--db", default="hub.sqlite")
    parser.add_argument("--from", dest="start", default="24h")
    parser.add_argument("--to", dest="end", default="now")
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        start, end = when(args.start), when(args.end)
    except ValueError as exc:
        sys.exit("serve: export: %s" % exc)
    if not os.path.exists(args.db):
        sys.exit("serve: export: no database %s" % args.db)
    db = history.open_reader(args.db)
    if not history.newest_series(db, args.board, args.widget):
        sys.exit("serve: export: nothing recorded of %s%s in %s" % (
            args.board, " " + args.widget if args.widget else "", args.db))
    out = open(args.output, "w", newline="") if args.output else sys.stdout
    try:
        for chunk in history.export_csv(db, args.board, args.widget, start, end):
            out.write(chunk)
    finally:
        if args.output:
            out.close()
        db.close()


def main(argv):
    if argv[:1] == ["export"]:
        return export(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device_urls", metavar="DEVICE_URL", nargs="*",
                        help="a board's address, e.g. http://192.168.4.1, or name=address")
    parser.add_argument("--boards", help="a boards.json: [{name, url, read_token?}, ...]")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0: the whole network)")
    parser.add_argument("--token", default=os.environ.get("SPLITDASH_HUB_TOKEN"),
                        help="the hub's own token, for the fleet page and the history "
                             "(made up when --host is not this machine's)")
    parser.add_argument("--db", default="hub.sqlite", help="the history's SQLite file")
    parser.add_argument("--keep-days", type=float, default=30,
                        help="days of history kept (0: all)")
    parser.add_argument("--no-history", action="store_true", help="keep no history")
    args = parser.parse_args(argv)
    try:
        configs = boards.from_arguments(args.device_urls)
        if args.boards:
            configs = boards.unique(configs + boards.from_file(args.boards))
    except (ValueError, OSError) as exc:
        sys.exit("serve: %s" % exc)
    if not configs:
        sys.exit("serve: name a board: serve.py http://<board> (or --boards boards.json)")
    token = args.token
    if not token and not loopback(args.host):
        token = secrets.token_urlsafe(16)
    db = None if args.no_history else history.History(args.db, args.keep_days, log)
    links = [BoardLink(config, db, log) for config in configs]
    hub = Hub(links, WWW, db, token)
    address = "http://%s:%d" % ("127.0.0.1" if args.host == "0.0.0.0" else args.host, args.port)

    def ready():
        log("serve: open %s/%s for %d board%s (Ctrl-C stops it)" % (
            address, "?token=" + token if token else "", len(links),
            "" if len(links) == 1 else "s"))
        for link in links:
            log("serve: %s at %s/b/%s/" % (link.config.url, address, link.name))
    try:
        asyncio.run(hub.serve(args.host, args.port, ready))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        sys.exit("serve: cannot listen on %s:%d: %s" % (args.host, args.port, exc))


if __name__ == "__main__":
    main(sys.argv[1:])
