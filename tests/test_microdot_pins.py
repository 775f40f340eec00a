"""The parts of Microdot the board's server relies on that Microdot does not
document (device/server.py's docstring names them), pinned: each test here
fails when the Microdot the board gets (build/board/lib, from the pinned
release) changes one of them. Run on the MicroPython unix port, and the
request cycle's source on the host."""

import ast
import inspect
import json

from conftest import run_micropython

PINS = r"""
import asyncio
import json

from microdot import Microdot, Request, Response


class Stream:
    # Only what the server's Connection offers: any other method Microdot
    # called would fail here with AttributeError.
    def __init__(self, data):
        self.data = data
        self.calls = []
        self.written = []

    async def readline(self):
        self.calls.append("readline")
        end = self.data.find(b"\n") + 1
        line, self.data = self.data[:end], self.data[end:]
        return line

    async def readexactly(self, n):
        self.calls.append("readexactly")
        part, self.data = self.data[:n], self.data[n:]
        return part

    async def awrite(self, data):
        self.calls.append("awrite")
        self.written.append(data)


class Chunks:
    # A streaming body, as the board's static files send: chunks that are
    # memoryviews of one buffer, then closed.
    def __init__(self):
        self.buffer = bytearray(b"abcdef")
        self.left = 2
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        return memoryview(self.buffer)[:3]

    async def aclose(self):
        self.closed = True


app = Microdot()
chunks = Chunks()


@app.post("/echo")
async def echo(request):
    return {"body": request.json, "sock": request.sock[0] is request.sock[1],
            "addr": request.client_addr}


@app.get("/taken")
async def taken(request):
    return Response.already_handled


@app.get("/chunks")
async def send_chunks(request):
    return Response(body=chunks)


async def cycle(raw):
    stream = Stream(raw)
    request = await Request.create(app, stream, stream, ("10.0.0.2", 5))
    response = await app.dispatch_request(request)
    if response is Response.already_handled:
        return stream, None
    await response.write(stream)
    return stream, response


async def main():
    found = {}
    body = b'{"a": 1}'
    stream, response = await cycle(b"POST /echo HTTP/1.1\r\nHost: b\r\nContent-Type: "
                                   b"application/json\r\nContent-Length: 8\r\n\r\n" + body)
    found["sock_is_the_stream"] = response is not None and \
        json.loads(response.body)["sock"] is True
    found["reads"] = sorted(set(stream.calls) - {"awrite"})
    found["writes_bytes"] = all(isinstance(part, bytes) for part in stream.written)
    found["answer"] = b"".join(stream.written).decode()
    stream, response = await cycle(b"GET /taken HTTP/1.1\r\n\r\n")
    found["already_handled_returned"] = response is None and stream.written == []
    stream, response = await cycle(b"GET /nowhere HTTP/1.1\r\n\r\n")
    found["404"] = b"".join(stream.written).split(b" ")[1].decode()
    stream, response = await cycle(b"GET /chunks HTTP/1.1\r\n\r\n")
    found["chunks_as_given"] = [type(part).__name__ for part in stream.written[-2:]]
    found["chunks_closed"] = chunks.closed
    stream, response = await cycle(b"HEAD /chunks HTTP/1.1\r\n\r\n")
    found["head_has_no_body"] = stream.written[-1] == b"\r\n"
    print(json.dumps(found))


asyncio.run(main())
"""


def test_microdot_parts_the_server_relies_on_are_unchanged(tmp_path):
    (tmp_path / "pins.py").write_text(PINS)
    proc = run_micropython(["pins.py"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    # request.sock: the (reader, writer) given to Request.create.
    assert found["sock_is_the_stream"] is True
    # A request is read with readline() and readexactly() alone: what
    # server.Connection offers.
    assert found["reads"] == ["readexactly", "readline"]
    # dispatch_request(request) routes it, error handlers and all, and
    # hands back Response.already_handled as a route returned it.
    assert found["already_handled_returned"] is True
    assert found["404"] == "404"
    # Response.write(stream) writes bytes through awrite() alone, the head
    # first: an HTTP/1.0 answer, its body last.
    assert found["writes_bytes"] is True
    head, _, body = found["answer"].partition("\r\n\r\n")
    assert head.startswith("HTTP/1.0 200 OK\r\n")
    assert json.loads(body) == {"body": {"a": 1}, "sock": True, "addr": ["10.0.0.2", 5]}
    # A streaming body's chunks reach awrite() as they were given (the
    # static files' memoryviews of a connection's buffer), and it is
    # closed once sent; a HEAD answer has no body.
    assert found["chunks_as_given"] == ["memoryview", "memoryview"]
    assert found["chunks_closed"] is True
    assert found["head_has_no_body"] is True


def awaited_calls(function):
    """The calls a function awaits, in order, as written ("Request.create")."""
    tree = ast.parse(inspect.getsource(function).lstrip().replace("\n    ", "\n"))
    awaits = [node for node in ast.walk(tree)
              if isinstance(node, ast.Await) and isinstance(node.value, ast.Call)]
    awaits.sort(key=lambda node: (node.lineno, node.col_offset))
    return [ast.unparse(node.value.func) for node in awaits]


def test_microdot_serves_a_request_as_the_server_does():
    # server.Server._answer serves each request as Microdot's own
    # handle_request does: should Microdot add a step, this fails.
    from microdot import Microdot
    assert awaited_calls(Microdot.handle_request) == [
        "Request.create", "self.dispatch_request", "res.write", "writer.aclose"]
