"""A small asyncio MQTT 3.1.1 client: connect with a will, keepalive pings,
subscribe, publish at QoS 0 and 1, and the retain flag of what arrives.

Written for a board beside a web server: it never blocks the event loop
(every wait is an asyncio wait, and a broker silent for 1.5 keepalives
ends the connection and every wait on it), holds no more than one
incoming packet of at most ``max_packet`` bytes, closes every socket it
opens (a board has about ten), and ``run()`` reconnects with exponential
backoff and jitter after a failed connect and after a drop alike, so that
a broker restart does not bring every board back in the same second and
two clients taking the same id from each other do not storm. The same
file runs on MicroPython and CPython.
"""

import asyncio
import os
import struct
import time

_CONNECT, _CONNACK, _PUBLISH, _PUBACK = 0x10, 0x20, 0x30, 0x40
_SUBSCRIBE, _SUBACK, _PINGREQ, _DISCONNECT = 0x82, 0x90, b"\xc0\x00", b"\xe0\x00"
_REFUSALS = ("", "protocol version refused", "client id refused", "broker unavailable",
             "bad user name or password", "not authorized")


class MqttError(OSError):
    pass


def _text(s):
    """A length-prefixed UTF-8 string, as MQTT writes topics and ids."""
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def _packet(first, body):
    """A whole packet: its first byte, its remaining length, its body."""
    head = bytearray((first,))
    n = len(body)
    while True:
        byte, n = n & 0x7F, n >> 7
        head.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(head) + body


class MqttClient:
    #: Longest incoming packet taken, in bytes: a larger one ends the
    #: connection rather than being read into the heap.
    max_packet = 1024
    #: Seconds between keepalive pings; the broker drops a client silent
    #: for 1.5 times this, and the client a broker silent that long.
    keepalive_s = 30
    #: Seconds the broker has to answer a CONNECT or acknowledge a packet.
    #: The TCP connect itself is left to the network stack's own timeout:
    #: MicroPython's open_connection, cancelled, leaves its socket open.
    timeout_s = 10
    #: Seconds before the first reconnection attempt, doubled after each
    #: failed connect or dropped connection up to ``backoff_max_s``; each
    #: wait is drawn at random between half of it and all of it.
    backoff_s = 1
    backoff_max_s = 60
    #: Seconds a connection must last for the backoff to start again from
    #: ``backoff_s``: a broker that drops the client as soon as it is in
    #: (another client with the same id, most often) gets ever rarer tries.
    stable_s = 10

    def __init__(self, host, port=1883, client_id="splitdash", user=None, password=None,
                 will=None, on_message=None):
        """``will``: (topic, payload, retain), published by the broker when
        the client vanishes. ``on_message(topic, payload, retain)``: called
        for each message of a subscription (plain function or coroutine
        function), topic as text, payload as bytes."""
        self.host = host
        self.port = port
        self.client_id = client_id
        self.user = user
        self.password = password
        self.will = will
        self.on_message = on_message
        self.connected = False
        #: Connection attempts made, successful or not.
        self.attempts = 0
        self._stream = None
        self._lock = asyncio.Lock()  # one packet written at a time
        self._acks = {}  # packet id -> Event, while its ack is awaited
        self._next_id = 0
        self._stopping = False
        self._told = None  # when the takeover was last reported

    # ---- what the application calls --------------------------------------

    async def run(self, on_connect=None):
        """Stay connected until ``disconnect()``: connect, await
        ``on_connect()`` (subscribe, publish what the broker must hold),
        read until the connection ends, then wait and try again."""
        backoff = self.backoff_s
        while not self._stopping:
            began = None
            try:
                await self.connect()
                began = time.time()
                if self._stopping:  # disconnect() came during the connect
                    break
                await self._serve(on_connect)
            except Exception as exc:  # OSError, a timeout, a bad packet, or no heap for it now
                lost = exc
                # Ended by the broker: the stream is not closed on our side.
                by_broker = self._stream is not None and isinstance(exc, EOFError)
            finally:
                await self._close()
            if self._stopping:
                break
            if began is not None and time.time() - began >= self.stable_s:
                backoff = self.backoff_s
            elif by_broker and (self._told is None or time.time() - self._told >= 60):
                # Dropped by the broker as soon as it was in: a client with
                # the same id came, and the broker keeps the newer one.
                self._told = time.time()
                print("splitdash: MQTT: another client took over %s; is the node id set twice?"
                      % self.client_id)
            # Half the wait plus a random share of the other half: boards
            # that lost the same broker come back spread out.
            wait = backoff / 2 + backoff / 2 * os.urandom(1)[0] / 255
            print("splitdash: MQTT %s (%s); retrying in %.1f s" % (
                "connection lost" if began is not None
                else "broker %s:%d unreachable" % (self.host, self.port), _reason(lost), wait))
            backoff = min(backoff * 2, self.backoff_max_s)
            await asyncio.sleep(wait)

    async def _serve(self, on_connect):
        # Both beside the reading, which their acknowledgements need.
        tasks = [asyncio.create_task(self._ping())]
        if on_connect:
            tasks.append(asyncio.create_task(self._start(on_connect)))
        try:
            await self._read()
        finally:
            # Before the socket is closed: no task is left waiting on it.
            for task in tasks:
                task.cancel()

    async def _start(self, on_connect):
        try:
            await on_connect()
        except Exception as exc:
            print("splitdash: MQTT set-up failed (%s)" % _reason(exc))
            await self._close()  # ends the reading: the next connection tries again

    async def connect(self):
        self.attempts += 1
        self._stream = await asyncio.open_connection(self.host, self.port)
        try:
            flags = 0x02  # clean session: subscriptions are made anew each time
            payload = _text(self.client_id)
            if self.will:
                topic, message, retain = self.will
                flags |= 0x04 | (0x20 if retain else 0)
                payload += _text(topic) + _text(message)
            if self.user is not None:
                flags |= 0x80
                payload += _text(self.user)
                if self.password is not None:
                    flags |= 0x40
                    payload += _text(self.password)
            await self._send(_packet(_CONNECT, _text("MQTT") + struct.pack(
                "!BBH", 4, flags, self.keepalive_s) + payload))
            kind, body = await asyncio.wait_for(self._receive(), self.timeout_s)
            if kind != _CONNACK or len(body) != 2:
                raise MqttError("the broker answered with something else than CONNACK")
            if body[1]:
                code = body[1]
                raise MqttError("the broker refused: " + (
                    _REFUSALS[code] if code < len(_REFUSALS) else "code %d" % code))
            self.connected = True
        finally:
            if not self.connected:  # refused, timed out or cancelled: nothing left open
                await self._close()

    async def publish(self, topic, payload, retain=False, qos=0):
        """Publish; with ``qos=1`` wait until the broker has it."""
        if isinstance(payload, str):
            payload = payload.encode()
        first = _PUBLISH | (qos << 1) | (1 if retain else 0)
        if not qos:
            await self._send(_packet(first, _text(topic) + payload))
            return
        pid = self._packet_id()
        await self._acked(pid, _packet(first, _text(topic) + struct.pack("!H", pid) + payload))

    async def subscribe(self, topic, qos=0):
        pid = self._packet_id()
        await self._acked(pid, _packet(_SUBSCRIBE, struct.pack("!H", pid) + _text(topic)
                                       + bytes((qos,))))

    async def disconnect(self):
        """Leave cleanly (the broker then drops the will) and stop ``run()``."""
        self._stopping = True
        if self.connected:
            try:
                await self._send(_DISCONNECT)
            except (OSError, asyncio.TimeoutError):
                pass
        await self._close()

    # ---- the connection ------------------------------------------------------

    async def _send(self, data):
        if self._stream is None:
            raise MqttError("not connected")
        async with self._lock:
            writer = self._stream[1]
            writer.write(data)
            # No timeout of its own: a broker that stops taking data stops
            # answering pings too, and the reading's timeout closes the
            # connection, which ends this wait.
            await writer.drain()

    async def _acked(self, pid, data):
        done = self._acks[pid] = asyncio.Event()
        try:
            await self._send(data)
            await asyncio.wait_for(done.wait(), self.timeout_s)
        finally:
            del self._acks[pid]

    def _packet_id(self):
        self._next_id = self._next_id % 0xFFFF + 1
        return self._next_id

    async def _receive(self):
        """The next packet: (type with flags, body)."""
        read = self._stream[0].readexactly
        first = (await read(1))[0]
        length = shift = 0
        while True:
            byte = (await read(1))[0]
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise ValueError("malformed packet length")
        if length > self.max_packet:
            raise ValueError("a %d-byte packet, over max_packet" % length)
        return first, (await read(length) if length else b"")

    async def _read(self):
        while True:
            # A broker silent for 1.5 keepalives (it answers each ping) is gone.
            first, body = await asyncio.wait_for(self._receive(), self.keepalive_s * 1.5)
            kind = first & 0xF0
            if kind == _PUBLISH:
                await self._arrived(first, body)
            elif kind in (_PUBACK, _SUBACK) and len(body) >= 2:
                done = self._acks.get(struct.unpack("!H", body[:2])[0])
                if done:
                    done.set()
            # PINGRESP and anything else: only proof the broker is there.

    async def _arrived(self, first, body):
        n = struct.unpack("!H", body[:2])[0]
        topic = body[2:2 + n].decode()
        payload = body[2 + n:]
        qos = (first >> 1) & 3
        if qos:
            pid = payload[:2]
            payload = payload[2:]
            await self._send(_packet(_PUBACK, pid))
        if self.on_message:
            result = self.on_message(topic, payload, bool(first & 1))
            if result is not None and hasattr(result, "send"):
                await result

    async def _ping(self):
        while True:
            await asyncio.sleep(self.keepalive_s / 2)
            await self._send(_PINGREQ)

    async def _close(self):
        """Close the socket for good: on MicroPython only wait_closed()
        does, at once; CPython closes it once what was written is out."""
        self.connected = False
        stream, self._stream = self._stream, None
        if stream is not None:
            stream[1].close()
            try:
                await stream[1].wait_closed()
            except Exception:  # reset, or closed already: nothing is left open either way
                pass


def _reason(exc):
    return str(exc) or type(exc).__name__
