"""HTTP to a board, with asyncio: a board answers HTTP/1.0 and closes every
connection, so an answer is its head and whatever comes until the close."""

import asyncio

#: Seconds to wait for a board to accept a connection.
CONNECT_TIMEOUT_S = 3
#: Seconds of silence from a board before a request is given up.
ANSWER_TIMEOUT_S = 10
#: The largest answer read whole (a schema, a state), in bytes.
MAX_ANSWER = 1 << 20


class Unreachable(OSError):
    """The board did not answer; the message says how."""


async def open_request(board, method, path, headers=(), body=b""):
    """Send a request to ``board`` (a BoardConfig); returns (status, {lowercase
    name: value}, reader, writer) once the answer's head has come."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(board.host, board.port, limit=MAX_ANSWER), CONNECT_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise Unreachable("no connection within %d s" % CONNECT_TIMEOUT_S)
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc))
    try:
        lines = ["%s %s HTTP/1.0" % (method, path), "Host: %s:%d" % (board.host, board.port)]
        lines += ["%s: %s" % kv for kv in headers]
        if body:
            lines.append("Content-Length: %d" % len(body))
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_TIMEOUT_S)
        status_line, *rest = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
    except asyncio.TimeoutError:
        await close(writer)
        raise Unreachable("no answer within %d s" % ANSWER_TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
            IndexError) as exc:
        await close(writer)
        raise Unreachable("the board closed the connection without answering (%s)"
                          % type(exc).__name__)
    answer = {}
    for line in rest:
        name, _, value = line.partition(":")
        if name:
            answer[name.strip().lower()] = value.strip()
    return status, answer, reader, writer


async def request(board, method, path, headers=(), body=b""):
    """(status, headers, body) of one request to ``board``."""
    status, answer, reader, writer = await open_request(board, method, path, headers, body)
    try:
        data = await asyncio.wait_for(reader.read(MAX_ANSWER), ANSWER_TIMEOUT_S)
        while data and len(data) < MAX_ANSWER:
            more = await asyncio.wait_for(reader.read(MAX_ANSWER - len(data)), ANSWER_TIMEOUT_S)
            if not more:
                break
            data += more
    except asyncio.TimeoutError:
        raise Unreachable("the answer stopped for %d s" % ANSWER_TIMEOUT_S)
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc))
    finally:
        await close(writer)
    return status, answer, data


async def close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
