"""Chart kind cases that run unchanged on CPython and on MicroPython, the way
schema_cases.py runs (tests/test_chart.py): a point's validation, its
parameters, the schema round trip."""

import json

from dashschema import loader, wire
from dashschema.chart import Chart
from schema_cases import INF, NAN, bad_params, eq, raises, rejects, run, same


def case_chart_defaults_and_params():
    c = Chart("c", "C")
    eq((c.series, c.unit, c.points, c.precision, c.min, c.max), (("value",), "", 120, 1, None, None))
    eq((c.history, c.writable, c.persist), ("chart_ring", False, False))
    eq(Chart("c", persist=True).persist, True)
    eq(Chart("c", series=["a", "b"]).series, ("a", "b"))  # a schema's list
    same(Chart("c", points=240.0).points, 240)


def case_chart_refuses_bad_params():
    bad_params(Chart, "series must be", series="inside")
    bad_params(Chart, "series must be", series=())
    bad_params(Chart, "series must be", series=("a", "a"))
    bad_params(Chart, "series must be", series=("a", 3))
    bad_params(Chart, "series must be", series=("a", ""))
    for points in (1, 1001, 2.5, True, "240", None):
        bad_params(Chart, "points must be a whole number from 2 to 1000", points=points)
    bad_params(Chart, "precision", precision=7)
    bad_params(Chart, "min must be a number", min="0")
    bad_params(Chart, "min must be below max", min=5, max=5)
    eq(Chart("c", min=0).max, None)  # one end fixed, the other the data's
    bad_params(Chart, "unknown parameter 'colour'", colour="red")


def case_chart_single_series_takes_a_number():
    c = Chart("c")
    # Kept and sent as whole numbers of the last digit shown (tenths here).
    same(c.validate(21.5), (215,))
    same(c.validate(3), (30,))
    same(c.validate(21.46), (215,))
    same(c.validate({"value": -2.5}), (-25,))
    same(Chart("c", precision=0).validate(21.6), (22,))
    for gap in (None, NAN, INF, -INF):
        same(c.validate(gap), (None,))
    rejects(c, "21.5", "value: expected a number, got text")
    rejects(c, True, "got true")
    rejects(c, [21.5], "got list")
    rejects(c, {"other": 1}, "no series 'other' (it has value)")
    rejects(c, 3e8, "value: 300000000.0 is too large for precision 1")
    same(c.validate(2e8), (2000000000,))


def case_chart_series_by_name_and_gaps():
    c = Chart("climate", series=("inside", "outside"))
    same(c.validate({"inside": 21.5, "outside": 9}), (215, 90))
    same(c.validate({"outside": 9.0}), (None, 90))  # a series left out is a gap
    same(c.validate({"inside": NAN, "outside": None}), (None, None))
    same(c.validate({}), (None, None))
    rejects(c, 21.5, "expected {series: number} for series inside, outside, got float")
    rejects(c, {"inside": 1, "attic": 2}, "no series 'attic' (it has inside, outside)")
    rejects(c, {"inside": "warm"}, "inside: expected a number, got text")
    rejects(c, {"inside": False}, "got false")


def case_chart_schema_round_trip():
    c = Chart("climate", "Climate", series=("inside", "outside"), unit="°C", points=240,
              precision=2, min=-10, persist=True)
    spec = json.loads(wire.encode(c.to_dict()))
    eq(spec, {"id": "climate", "kind": "chart", "label": "Climate",
              "series": ["inside", "outside"], "unit": "°C", "points": 240, "precision": 2,
              "min": -10, "max": None})
    rebuilt = loader.from_dict(spec)
    eq((type(rebuilt), rebuilt.series, rebuilt.points, rebuilt.min, rebuilt.max),
       (Chart, ("inside", "outside"), 240, -10, None))
    # Where its points are kept is the board's business.
    eq(rebuilt.persist, False)


def case_browsers_cannot_write_a_chart():
    c = Chart("c")
    message = raises(wire.WriteError, wire.check_writes, {"c": 1}, lambda wid: c)
    eq(message, "'c' is read-only")


def cases():
    return sorted(name for name in globals() if name.startswith("case_"))


if __name__ == "__main__":
    run(globals())
