"""Builds what a board holds, in build/board/, for an app folder:

    main.py          what the board runs at boot (device/main.py: the app's)
    lib/*.mpy        device/, the kinds the app uses from shared/, Microdot,
                     and the app: its main.py as app_main, its other modules,
                     its widgets/; precompiled with mpy-cross
    www/             the webapp bundle: every file gzipped (<name>.gz);
                     index.html, the one file revalidated, with PyScript's
                     config in it; the PyScript runtime under a versioned
                     rt-<hash>/ folder, and the page's style sheet and Python
                     (py.pack: .mpy modules and main.py) under another; and
                     manifest.json mapping each URL path to
                     [etag, gzip size, Last-Modified date]

Usage: python tools/build.py [--app FOLDER] [--quiet]

An app folder (default: examples/greenhouse) holds ``main.py``, which
declares the dashboard and defines ``run()``; ``widgets/``, its custom kinds,
one module per kind named as the kind; ``renderers/``, their page renderers;
and any other module main.py imports (its sensors' drivers, say). The page's
bundle carries only the renderers of the kinds the app uses (app_kinds.py).
"""

import ast
import email.utils
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
import tomllib

import zopfli.gzip

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARD = os.path.join(ROOT, "build", "board")
NODE = os.path.join(ROOT, "node_modules")
BIN = os.path.dirname(sys.executable)

PYSCRIPT = "@pyscript/core/dist"
# Chunks of PyScript a MicroPython page never loads, besides the plugins
# pyscript.toml switches off: terminal, zip and Pyodide code, and the TOML
# parser (the page has its config as JSON).
PYSCRIPT_UNUSED = ("pyodide_graph", "xterm", "zip", "toml")
MICROPYTHON = ("@micropython/micropython-webassembly-pyscript",
               ("micropython.mjs", "micropython.wasm"))
#: The .mpy version each MicroPython-WASM release imports (its
#: sys.implementation._mpy): the page's modules are compiled for it, by an
#: mpy-cross that must emit that version.
WASM_MPY = {"1.27.0": "6.3"}
MICRODOT_MODULES = ("__init__", "microdot", "cors")
DEVICE_APP = "main.py"
DEFAULT_APP = os.path.join(ROOT, "examples", "greenhouse")
# Page code a laptop hub serves itself (tools/hub): no board's page loads it.
HUB_ONLY = "hub/"
#: The page's Python that PyScript runs (webapp/main.py); the rest it imports.
PAGE_SCRIPT = "main.py"


def python_sources(top):
    """(path relative to top, absolute path) of every .py below top."""
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found.append((os.path.relpath(path, top).replace(os.sep, "/"), path))
    return found


def pyscript_chunks(dist):
    """core.js and every chunk it can import, less the unused ones."""
    with open(os.path.join(ROOT, "pyscript.toml"), "rb") as f:
        plugins = tomllib.load(f).get("plugins", [])
    skipped = PYSCRIPT_UNUSED + tuple(p[1:] for p in plugins if p.startswith("!"))
    todo, found = ["core.js"], set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        text = read(os.path.join(dist, name)).decode()
        todo += [ref for ref in re.findall(r'"\./([\w.-]+\.js)"', text)
                 if not ref.startswith(skipped)]
    return sorted(found)


def runtime_files():
    """(bundle path below the runtime folder, absolute path), sorted."""
    dist = os.path.join(NODE, PYSCRIPT)
    package, names = MICROPYTHON
    mpy = os.path.join(NODE, package)
    if not (os.path.isdir(dist) and os.path.isdir(mpy)):
        sys.exit("build: the PyScript runtime is missing; run tools/setup.sh")
    return [("pyscript/" + n, os.path.join(dist, n)) for n in pyscript_chunks(dist)] + \
        [("micropython/" + n, os.path.join(mpy, n)) for n in names]


def lean_python(source):
    """``source`` without its comments and docstrings, for the page: they are
    a third of its Python's bytes. Line for line, so that a traceback in the
    browser's console points at the line in the source."""
    lines = source.splitlines(keepends=True)
    cuts = []  # (row, col, end row, end col, what takes its place)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                doc = first.value
                alone = len(node.body) == 1 and not isinstance(node, ast.Module)
                cuts.append((doc.lineno, doc.col_offset, doc.end_lineno, doc.end_col_offset,
                             "0" if alone else ""))  # a body cannot be empty
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            cuts.append(token.start + token.end + ("",))
    for row, col, end_row, end_col, text in sorted(cuts, reverse=True):
        kept = lines[row - 1][:col] + text + lines[end_row - 1][end_col:]
        lines[row - 1:end_row] = [kept] + ["\n"] * (end_row - row)
    return "".join(line.rstrip() + "\n" for line in lines)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Bundle:
    def __init__(self, www):
        self.www = www
        self.manifest = {}
        self.raw_total = 0

    def add(self, url_path, data):
        dest = os.path.join(self.www, url_path.lstrip("/")) + ".gz"
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        # Zopfli: a gzip any browser reads, 4% smaller than zlib's best, on
        # every cold load.
        packed = zopfli.gzip.compress(data)
        with open(dest, "wb") as f:
            f.write(packed)
        digest = hashlib.sha256(data).hexdigest()
        # A date made from the content's hash: it changes exactly when the file
        # does, whenever and wherever the bundle is built.
        modified = email.utils.formatdate(946684800 + int(digest[:7], 16), usegmt=True)
        self.manifest[url_path] = [digest[:16], len(packed), modified]
        self.raw_total += len(data)

    def finish(self):
        # One path a line: the board reads it a line at a time.
        lines = ["%s: %s" % (json.dumps(path), json.dumps(entry))
                 for path, entry in sorted(self.manifest.items())]
        with open(os.path.join(self.www, "manifest.json"), "w") as f:
            f.write("{\n" + ",\n".join(lines) + "\n}\n")


def versioned(files):
    """The URL folder of ``files`` ((name, bytes) pairs): named by their
    hash, so that it changes exactly when one of them does."""
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + data)
    return "/rt-" + digest.hexdigest()[:10] + "/"


def check_mpy_cross():
    with open(os.path.join(NODE, MICROPYTHON[0], "package.json")) as f:
        wasm = json.load(f)["version"]
    wanted = WASM_MPY.get(wasm)
    if wanted is None:
        sys.exit("build: which .mpy version does MicroPython-WASM %s import? "
                 "Add it to WASM_MPY in tools/build.py" % wasm)
    said = subprocess.run([os.path.join(BIN, "mpy-cross"), "--version"], check=True,
                          capture_output=True, text=True).stdout
    emitted = re.search(r"mpy v(\d+\.\d+)", said)
    if not emitted or emitted.group(1) != wanted:
        sys.exit("build: MicroPython-WASM %s imports .mpy v%s; mpy-cross says: %s"
                 % (wasm, wanted, said.strip()))


def page_module(rel, path):
    """(name, bytes) of a Python file as the page gets it: precompiled to
    .mpy, which MicroPython-WASM imports without compiling it, with its line
    numbers (a traceback in the console points at the source line); the
    script PyScript runs stays source, lean."""
    if rel == PAGE_SCRIPT:
        return rel, lean_python(read(path).decode()).encode()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.mpy")
        done = subprocess.run([os.path.join(BIN, "mpy-cross"), "-s", rel, "-o", out, path],
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit("build: %s does not compile:\n%s" % (path, done.stderr.strip()))
        return rel[:-3] + ".mpy", read(out)


def python_pack(files):
    """(name, bytes) pairs as one file: a line of JSON, {name: [start, end]}
    into the bytes after it, then the bytes (the page cuts it up)."""
    index, body = {}, b""
    for name, data in files:
        index[name] = [len(body), len(body) + len(data)]
        body += data
    return json.dumps(index, separators=(",", ":")).encode() + b"\n" + body


def page_config(runtime, files):
    """pyscript.toml as the JSON config of each kind of interpreter the page
    has (index.html's <mpy-config> and <py-config>), the app's files added.
    PyScript loads plugins per kind, so the plugin list goes to both."""
    with open(os.path.join(ROOT, "pyscript.toml"), "rb") as f:
        config = tomllib.load(f)
    config["interpreter"] = config["interpreter"].replace("./runtime/", "." + runtime)
    config["files"] = files
    return (json.dumps(config, separators=(",", ":")),
            json.dumps({"plugins": config.get("plugins", [])}, separators=(",", ":")))


def build_www(www, extra=(), unused=()):
    """The webapp bundle in ``www``; ``extra``: more (path below the page's
    py/, absolute path) Python files, as a user's own widgets are; ``unused``:
    paths below py/ left out (the modules of kinds the app does not use)."""
    runtime = [(name, read(path)) for name, path in runtime_files()]
    runtime_dir = versioned(runtime)
    check_mpy_cross()

    py_files = python_sources(os.path.join(ROOT, "shared")) + \
        [(rel, path) for rel, path in python_sources(os.path.join(ROOT, "webapp"))
         if not rel.startswith(HUB_ONLY)] + list(extra)
    py_files = [(rel, path) for rel, path in py_files if rel not in unused]
    python = [page_module(rel, path) for rel, path in py_files]
    app = [("py.pack", python_pack(python)),
           ("style.css", read(os.path.join(ROOT, "webapp", "style.css")))]
    app_dir = versioned(app)

    bundle = Bundle(www)
    for name, data in runtime:
        bundle.add(runtime_dir + name, data)
    for name, data in app:
        bundle.add(app_dir + name, data)

    files = dict(("." + app_dir + "py/" + name, "./" + name) for name, _ in python
                 if name != PAGE_SCRIPT)
    mpy_config, py_config = page_config(runtime_dir, files)
    html = read(os.path.join(ROOT, "webapp", "index.html")).decode()
    for slot, value in (("./runtime/", "." + runtime_dir), ("./app/", "." + app_dir),
                        ("<mpy-config type=\"json\">{/* the build writes it */}",
                         "<mpy-config type=\"json\">" + mpy_config),
                        ("<py-config type=\"json\">{/* the build writes it */}",
                         "<py-config type=\"json\">" + py_config)):
        if slot not in html:
            sys.exit("build: webapp/index.html has no %s" % slot)
        html = html.replace(slot, value)
    bundle.add("/index.html", html.encode())
    bundle.finish()
    return bundle


def compile_lib(lib, app):
    # device/manifest.py is read by a firmware build, never run on a board.
    sources = [(rel, path) for rel, path in python_sources(os.path.join(ROOT, "device"))
               if rel not in (DEVICE_APP, "manifest.py")]
    sources += [(rel, path) for rel, path in python_sources(os.path.join(ROOT, "shared"))
                if rel not in app.unused_shared]
    sources += app.board_sources()
    import microdot
    md = os.path.dirname(microdot.__file__)
    sources += [("microdot/%s.py" % m, os.path.join(md, m + ".py")) for m in MICRODOT_MODULES]
    for rel, path in sources:
        out = os.path.join(lib, rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        # -O3 leaves out the line-number tables, which a board would hold in
        # its heap for every function: some 2 KB in all. Tracebacks then
        # name the file and function only; `make dev` runs the sources.
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-O3", "-o", out, path], check=True)


def size_report(bundle):
    rows = sorted(bundle.manifest.items(), key=lambda kv: -kv[1][1])
    lines = ["%8s  %s" % ("gzipped", "file")]
    for path, entry in rows:
        lines.append("%8d  %s" % (entry[1], path))
    gz = sum(entry[1] for entry in bundle.manifest.values())
    lines.append("%8d  total gzipped (%d raw) in %d files" % (gz, bundle.raw_total, len(rows)))
    return "\n".join(lines)


def app_folder(argv):
    """The --app folder given in ``argv``, else the example's."""
    if "--app" in argv:
        i = argv.index("--app")
        if i + 1 >= len(argv) or not argv[i + 1]:
            sys.exit("build: --app needs a folder")
        return os.path.abspath(argv[i + 1])
    return DEFAULT_APP


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import app_kinds  # only here: tests take build_www from this module alone
    try:
        app = app_kinds.App(app_folder(sys.argv))
    except app_kinds.AppError as exc:
        sys.exit("build: %s" % exc)
    # Built aside and swapped in, so a device running from build/board never
    # sees a half-built tree.
    fresh, stale = BOARD + ".new", BOARD + ".old"
    for path in (fresh, stale):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(fresh)
    bundle = build_www(os.path.join(fresh, "www"), app.page_sources(),
                       app.unused_shared | app.unused_renderers)
    compile_lib(os.path.join(fresh, "lib"), app)
    shutil.copy(os.path.join(ROOT, "device", DEVICE_APP), os.path.join(fresh, DEVICE_APP))
    if os.path.isdir(BOARD):
        os.rename(BOARD, stale)
    os.rename(fresh, BOARD)
    shutil.rmtree(stale, ignore_errors=True)
    if "--quiet" not in sys.argv:
        print(size_report(bundle))
        print("board files in", os.path.relpath(BOARD, ROOT))


if __name__ == "__main__":
    main()
