"""The hub: a laptop (or a Raspberry Pi) serving every board's page, with
their history. ``tools/serve.py`` runs it; each module holds one concern:

    boards.py    the boards served, from the command line or a boards.json
    upstream.py  HTTP to a board, with asyncio (HTTP/1.0, as a board answers)
    mirror.py    what the hub holds of a board: schema, values, rings; checks
                 every message against the board's schema
    link.py      the one stream the hub reads from each board, and its fan-out
    history.py   the SQLite history: recording, gaps, range queries, CSV
    fleet.py     the fleet page
    app.py       the Microdot app on CPython: the routes
"""
