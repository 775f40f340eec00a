"""The fleet page at the hub's ``/``: a card per board (its title, online or
offline and since when, a few of its values), each linking to the board's
page at ``/b/<name>/``. Plain HTML and a few lines of script reading
``fleet.json`` every ``REFRESH_S``: nothing from the network, no runtime.
"""

from dashschema.widget import is_number

#: Seconds between two reads of fleet.json by the page.
REFRESH_S = 2
#: Values a card shows: the board's first readings.
CARD_VALUES = 4


def text_of(widget, value):
    """A value as a card shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ": ".join(str(v) for v in value if v != "")
    unit = getattr(widget, "unit", "")
    precision = getattr(widget, "precision", None)
    if is_number(value) and isinstance(precision, int):
        value = "%.*f" % (precision, value)
    return ("%s %s" % (value, unit)).strip() if unit else str(value)


def board_entry(link):
    m = link.mirror
    values = []
    for wid, widget in m.widgets.items():
        if len(values) == CARD_VALUES:
            break
        if widget is None or widget.history or widget.momentary or wid not in m.values:
            continue
        values.append({"id": wid, "label": widget.label, "text": text_of(widget, m.values[wid])})
    title = m.schema.get("title") if m.schema else None
    return {"name": link.name, "title": title or link.name, "state": link.state,
            "since": link.since, "last_seen": link.last_seen, "reason": link.reason,
            "values": values, "pages": link.pages, "dropped": link.dropped}


def fleet(links):
    return {"boards": [board_entry(link) for link in links]}


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>splitdash hub</title>
<link rel="icon" href="data:,">
<style>
body { font: 16px system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 70rem;
  color: #1f2328; background: #f6f7f9; }
@media (prefers-color-scheme: dark) { body { color: #e6e6e6; background: #15171a; }
  .board { background: #22252a; } }
.fleet { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr));
  padding: 0; }
.board { list-style: none; background: #fff; border-radius: .6rem; padding: 1rem;
  box-shadow: 0 1px 3px #0002; }
.board a { color: inherit; text-decoration: none; }
.board h2 { margin: 0 0 .3rem; font-size: 1.2rem; }
.board[data-state=offline] { opacity: .7; }
.state::before { content: "\\25CF  "; color: #888; }
[data-state=online] .state::before { color: #1a7f37; }
[data-state=offline] .state::before { color: #cf222e; }
.state { font-size: .9rem; margin: 0 0 .6rem; }
dl { display: grid; grid-template-columns: auto auto; gap: .2rem 1rem; margin: 0; }
dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Boards</h1>
<ul id="fleet" class="fleet"><li>Loading…</li></ul>
<script>
function ago(ms) {
  var s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return (s / 3600).toFixed(1) + " h ago";
  return new Date(ms).toLocaleString();
}
function el(tag, text, attrs) {
  var e = document.createElement(tag);
  if (text != null) e.textContent = text;
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  return e;
}
function card(b) {
  var li = el("li", null, {"class": "board", "data-board": b.name, "data-state": b.state});
  var a = el("a", null, {href: "b/" + encodeURIComponent(b.name) + "/"});
  a.append(el("h2", b.title));
  var state = b.state == "online" ? "online" + (b.last_seen ? ", seen " + ago(b.last_seen) : "")
    : b.state == "offline" ? "offline since " + ago(b.since)
    : b.state == "locked" ? "locked: " + b.reason : "connecting…";
  a.append(el("p", state, {"class": "state", title: b.reason || ""}));
  var dl = el("dl");
  b.values.forEach(function (v) {
    dl.append(el("dt", v.label));
    dl.append(el("dd", v.text, {"data-value": v.id}));
  });
  a.append(dl);
  li.append(a);
  return li;
}
function refresh() {
  fetch("fleet.json", {cache: "no-store"}).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(function (f) {
    document.getElementById("fleet").replaceChildren.apply(
      document.getElementById("fleet"), f.boards.map(card));
    document.body.dataset.state = "live";
  }).catch(function () {
    document.body.dataset.state = "offline";
  }).finally(function () { setTimeout(refresh, %d); });
}
refresh();
</script>
</body>
</html>
""" % (REFRESH_S * 1000)
