"""The boards a hub serves: addresses from the command line, each optionally
named (``greenhouse=http://192.168.4.1``), or a boards.json:

    [{"name": "greenhouse", "url": "http://greenhouse.local"},
     {"name": "garage", "url": "http://192.168.4.7:8080", "read_token": "..."}]

A board's page is then at ``/b/<name>/``. A name not given is made from the
address: its first label (``greenhouse`` for greenhouse.local), an IP's
digits joined by dashes, and the port when it is not 80.

``read_token``: for a board that takes a read token, so that the hub can
read it and keep its history. Its write token is never asked for.
"""

import json
import re
from urllib.parse import urlsplit

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class BoardConfig:
    def __init__(self, name, url, read_token=None):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError("give the board's address like http://192.168.4.1 "
                             "or http://board.local:8080, not %r" % url)
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or 80
        self.name = name or name_from(self.host, parts.port)
        if not NAME.match(self.name):
            raise ValueError("a board's name is up to 40 lowercase letters, digits, - and _: "
                             "not %r" % self.name)
        if read_token is not None and not isinstance(read_token, str):
            raise ValueError("%s: read_token must be text" % self.name)
        self.read_token = read_token or None


def name_from(host, port):
    if re.match(r"^[0-9.]+$", host):
        name = host.replace(".", "-")
    else:
        name = re.sub(r"[^a-z0-9_-]", "-", host.split(".")[0].lower()).strip("-") or "board"
    return name + ("-%d" % port if port and port != 80 else "")


def from_arguments(addresses):
    """BoardConfigs of ``[name=]url`` arguments."""
    boards = []
    for address in addresses:
        name, _, url = address.rpartition("=") if "=" in address.split("://")[0] else \
            ("", "", address)
        boards.append(BoardConfig(name or None, url))
    return unique(boards)


def from_file(path):
    with open(path) as f:
        try:
            listed = json.load(f)
        except ValueError as exc:
            raise ValueError("%s: not JSON: %s" % (path, exc))
    if isinstance(listed, dict):
        listed = [{"name": name, "url": url} for name, url in listed.items()]
    if not isinstance(listed, list):
        raise ValueError("%s: expected a list of {name, url, read_token?}" % path)
    boards = []
    for entry in listed:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ValueError("%s: each board needs a url: %r" % (path, entry))
        unknown = set(entry) - {"name", "url", "read_token"}
        if unknown:
            raise ValueError("%s: unknown keys %s" % (path, ", ".join(sorted(unknown))))
        boards.append(BoardConfig(entry.get("name"), entry["url"], entry.get("read_token")))
    return unique(boards)


def unique(boards):
    names = [b.name for b in boards]
    for name in names:
        if names.count(name) > 1:
            raise ValueError("two boards are named %r: name them (name=http://...)" % name)
    return boards
