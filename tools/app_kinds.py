"""What an app folder holds and which of splitdash's kinds it uses, for the
build (tools/build.py --app).

The kinds used are those whose classes the app's modules import from
``dashschema``, found by reading their imports (``ast``), never by running
them: an app's main.py starts its sensors and its server when run, and
imports board-only modules. A built-in kind's modules (its class in
``shared/dashschema/``, its renderer in ``webapp/renderers/``) go to the
board and the page only when a kind among them is used, or when the app's
own widgets and renderers import them.
"""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "shared"), os.path.join(ROOT, "webapp")]

from dashschema import loader  # noqa: E402
from dashschema.widget import Widget  # noqa: E402
from renderers import registry as renderer_registry  # noqa: E402

#: The app's module the board imports at boot (device/main.py).
APP_MAIN = "app_main"
#: Modules every dashboard needs, whichever kinds it shows: the others' bases
#: (kinds.py, builtin.py) and the board's accent colour check (inputs.py).
ALWAYS = {"dashschema.kinds", "dashschema.inputs", "renderers.builtin"}
#: splitdash's own module names: an app's module of one of these names would
#: shadow it on the board or the page.
TAKEN = {name[:-3] for folder in ("device", "webapp", "shared", "shared/dashschema",
                                  "webapp/renderers")
         for name in os.listdir(os.path.join(ROOT, folder)) if name.endswith(".py")} | \
    {"dashschema", "renderers", "microdot", APP_MAIN}


class AppError(Exception):
    """An app folder the build cannot use; the message names the file."""


def _modules(folder):
    """{module name: path} of the .py files right in ``folder``."""
    if not os.path.isdir(folder):
        return {}
    return {name[:-3]: os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if name.endswith(".py") and not name.startswith(".")}


def _imports(path):
    """(module, [names] or None for the whole module) of each import in the
    file at ``path``."""
    with open(path, encoding="utf-8") as f:
        try:
            tree = ast.parse(f.read(), path)
        except SyntaxError as exc:
            raise AppError("%s: line %s: %s" % (path, exc.lineno, exc.msg))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
    return found


def _own_kinds(module):
    """The kinds of the Widget classes ``module`` defines itself."""
    return [value.kind for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Widget) and value.kind and
            value.__module__ == module.__name__]


class App:
    """An app folder: ``main.py``, ``widgets/``, ``renderers/``, other modules."""

    def __init__(self, folder):
        self.folder = folder
        self.main = os.path.join(folder, "main.py")
        if not os.path.isfile(self.main):
            raise AppError("%s: no main.py (an app folder declares its dashboard there)"
                           % folder)
        self.modules = _modules(folder)
        del self.modules["main"]
        self.widgets = _modules(os.path.join(folder, "widgets"))
        self.renderers = _modules(os.path.join(folder, "renderers"))
        for names, where in ((self.modules, ""), (self.widgets, "widgets/"),
                             (self.renderers, "renderers/")):
            for name in names:
                path = os.path.join(folder, where + name + ".py")
                if name in loader.MODULES:
                    raise AppError("%s: %r is a built-in kind's name; a custom kind needs "
                                   "a name of its own" % (path, name))
                if name in TAKEN:
                    raise AppError("%s: %s.py has the name of a splitdash module; rename it"
                                   % (path, name))
        self.custom = self._load_widgets()
        used = self._used_modules()
        builtin = set(loader.MODULES.values()) | \
            {"renderers." + renderer_registry.MODULES.get(k, k) for k in loader.MODULES}
        #: Paths below shared/ (and the page's py/) left out: their kinds unused.
        self.unused_shared = {m.replace(".", "/") + ".py" for m in builtin - used
                              if m.startswith("dashschema.")}
        self.unused_renderers = {m.replace(".", "/") + ".py" for m in builtin - used
                                 if m.startswith("renderers.")}

    def _load_widgets(self):
        """{kind: widget module name}; each module is imported on CPython to
        find its kinds, which must be new and named as their module."""
        sys.path.insert(0, os.path.join(self.folder, "widgets"))
        kinds = {}
        try:
            for name, path in self.widgets.items():
                try:
                    module = __import__(name)
                except Exception as exc:
                    raise AppError("%s: cannot be imported: %s: %s"
                                   % (path, type(exc).__name__, exc))
                own = _own_kinds(module)
                for kind in own:
                    if kind in loader.MODULES:
                        raise AppError("%s: kind %r is a built-in kind's name; "
                                       "a custom kind needs a name of its own" % (path, kind))
                    if kind != name:
                        raise AppError("%s: kind %r must be in a module named %s.py: the "
                                       "page imports a kind from its name" % (path, kind, kind))
                if not own:
                    raise AppError("%s: declares no widget kind (a Widget subclass with "
                                   "its kind)" % path)
                kinds[name] = name
        finally:
            sys.path.pop(0)
        return kinds

    def _used_modules(self):
        """The built-in kinds' modules (``dashschema.X``, ``renderers.X``) the
        app needs: those of the kinds its modules import, and any its
        widgets and renderers import themselves."""
        used = set(ALWAYS)
        for path in [self.main] + list(self.modules.values()):
            for module, names in _imports(path):
                if not module.startswith("dashschema."):
                    continue
                if names is None:
                    used.add(module)
                for name in names or ():
                    cls = getattr(__import__(module, None, None, ["_"]), name, None)
                    kind = getattr(cls, "kind", None)
                    if kind in loader.MODULES:
                        used.add(loader.MODULES[kind])
                        used.add("renderers." + renderer_registry.MODULES.get(kind, kind))
        for path in list(self.widgets.values()) + list(self.renderers.values()):
            used.update(m for m, _ in _imports(path)
                        if m.startswith(("dashschema.", "renderers.")))
        return used

    def board_sources(self):
        """(path in the board's lib/, source) of the app's code."""
        found = [(APP_MAIN + ".py", self.main)]
        found += [(name + ".py", path) for name, path in self.modules.items()]
        return found + [(name + ".py", path) for name, path in self.widgets.items()]

    def page_sources(self):
        """(path below the page's py/, source) of the app's widgets and renderers."""
        return [(name + ".py", path) for name, path in self.widgets.items()] + \
            [("renderers/%s.py" % name, path) for name, path in self.renderers.items()]
