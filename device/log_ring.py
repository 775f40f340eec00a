"""A log's lines on the board: the newest ``lines`` of them, each with the
dashboard version that added it, so a page gets only those it lacks. The
oldest line gives way to the newest; the slots are made when the log is
declared. Its versions are counted as a chart's ring counts them."""

from array import array

from chart_ring import newer


class Ring:
    #: Most lines in one message, for the reason a chart's ring has one.
    max_send = 16

    def __init__(self, log, state_file=None):
        n = self.size = log.lines
        self.texts = [""] * n
        self.versions = array("I", bytes(4 * n))
        self.head = 0  # where the next line goes
        self.count = 0

    def append(self, line, version):
        self.texts[self.head] = line
        self.versions[self.head] = version
        self.head = (self.head + 1) % self.size
        if self.count < self.size:
            self.count += 1

    def since(self, version):
        """The lines added after dashboard ``version`` (every line for 0),
        the oldest ``max_send`` of them, as ``log.py`` tells; and the
        version of the last one sent when more are left, else 0."""
        n = self.size
        k = newer(self, version)
        m = min(k, self.max_send)
        first = (self.head - k) % n
        lines = [self.texts[(first + j) % n] for j in range(m)]
        message = {"lines": lines}
        if not version:
            message["all"] = True
        return message, self.versions[(first + m - 1) % n] if m < k else 0
