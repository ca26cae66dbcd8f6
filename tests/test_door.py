"""Only ``overrides/`` reaches into Rasa's or other libraries' private parts (issue 14, item 5).

The AST of every module of govservice, bot, connectors, staff and portal is walked for:

* a private name imported from a library (``from rasa.x import _y``, ``import rasa._x``);
* a private attribute of a library's object: ``Name._x`` where ``Name`` came from a library, or
  ``obj._x`` where no module of ours defines ``_x`` (so it can only be a library's);
* a subclass of a library class that overrides one of its underscored methods, or reads one of
  its underscored attributes through ``self`` or ``super()``;
* a patch: assigning, deleting or ``setattr`` on an attribute of a library's module or class, or
  replacing logging's machinery (``setLogRecordFactory``, ``setLoggerClass``).

The same parsed modules show that ``bot/actions`` and ``connectors`` call the back office's service
functions only: they import no ``sqlalchemy``, no ``govservice.db`` and no module that defines models.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import pytest

ROOT = Path(__file__).resolve().parents[1]
WALKED = ("govservice", "bot", "connectors", "staff", "portal")
DOOR = "overrides"
LIBRARIES = frozenset({"rasa", "rasa_sdk", "wechatpy", "sanic", "sanic_routing", "socketio", "engineio", "logging"})
LOGGING_MACHINERY = frozenset({"setLogRecordFactory", "setLoggerClass"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _library(module: Optional[str]) -> bool:
    return bool(module) and str(module).split(".")[0] in LIBRARIES


@dataclass
class Module:
    """One parsed module: its path, tree and the names bound to library imports (name -> dotted path)."""

    path: Path
    tree: ast.Module
    library_names: Dict[str, str]

    @classmethod
    def parse(cls, path: Path, source: Optional[str] = None) -> Module:
        tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
        names: Dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _library(alias.name):  # "import a.b" binds a; "import a.b as c" binds a.b
                        top = alias.name.split(".")[0]
                        names[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and _library(node.module):
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return cls(path, tree, names)


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _resolve(dotted: str) -> object:
    """The library object at ``dotted`` (a module, or an attribute of one), or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part, None)
        return found
    return None


def defined_private_names(modules: List[Module]) -> Set[str]:
    """Every underscored name our own code defines: functions, classes, assigned names and attributes."""
    names: Set[str] = set()
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return {name for name in names if _private(name)}


class Checker:
    """Finds every reach into a library's private parts in ``modules`` (see the module docstring)."""

    def __init__(self, modules: List[Module], ours: Set[str]) -> None:
        self.modules = modules
        self.ours = ours
        self.classes: Dict[str, tuple[Module, ast.ClassDef]] = {
            node.name: (module, node)
            for module in modules
            for node in ast.walk(module.tree)
            if isinstance(node, ast.ClassDef)
        }

    def library_bases(self, module: Module, node: ast.ClassDef, seen: Optional[Set[str]] = None) -> List[type]:
        """The library classes ``node`` derives from, directly or through classes of ours."""
        seen = seen if seen is not None else set()
        found: List[type] = []
        for base in node.bases:
            name = ast.unparse(base)
            head = name.split(".")[0]
            if head in module.library_names:
                resolved = _resolve(module.library_names[head] + name[len(head):])
                if isinstance(resolved, type):
                    found.append(resolved)
            elif name in self.classes and name not in seen:
                seen.add(name)
                found += self.library_bases(*self.classes[name], seen)
        return found

    def findings(self) -> Iterator[str]:
        for module in self.modules:
            where = module.path.relative_to(ROOT) if module.path.is_absolute() else module.path
            for node in ast.walk(module.tree):
                for problem in self._node(module, node):
                    yield f"{where}:{getattr(node, 'lineno', 0)}: {problem}"

    def _node(self, module: Module, node: ast.AST) -> Iterator[str]:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _library(node.module):
            parts = str(node.module).split(".")
            if any(_private(part) for part in parts):
                yield f"imports from the private module {node.module}"
            yield from (f"imports the private name {node.module}.{a.name}" for a in node.names if _private(a.name))
        elif isinstance(node, ast.Import):
            yield from (f"imports the private module {a.name}" for a in node.names
                        if _library(a.name) and any(_private(part) for part in a.name.split(".")))
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            yield from self._attribute(module, node)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                root = _root(target)
                if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in module.library_names:
                    yield f"patches {ast.unparse(target)} of a library"
        elif isinstance(node, ast.Call):
            yield from self._call(module, node)
        elif isinstance(node, ast.ClassDef):
            yield from self._class(module, node)

    def _attribute(self, module: Module, node: ast.Attribute) -> Iterator[str]:
        root = _root(node)
        if isinstance(root, ast.Name) and root.id in ("self", "cls") or _is_super(node.value):
            return  # checked per class, against the library bases (_class)
        if isinstance(root, ast.Name) and root.id in module.library_names:
            yield f"reads the library's private {ast.unparse(node)}"
        elif node.attr not in self.ours:
            yield f"reads {ast.unparse(node)}, private to a library (no module of ours defines {node.attr})"

    def _call(self, module: Module, node: ast.Call) -> Iterator[str]:
        name = ast.unparse(node.func)
        if name in ("setattr", "delattr") and node.args:
            root = _root(node.args[0])
            if isinstance(root, ast.Name) and root.id in module.library_names:
                yield f"patches {ast.unparse(node.args[0])} of a library with {name}"
        head, _, attr = name.rpartition(".")
        if attr in LOGGING_MACHINERY and module.library_names.get(head or attr, "").startswith("logging"):
            yield f"replaces logging's machinery ({name})"

    def _class(self, module: Module, node: ast.ClassDef) -> Iterator[str]:
        bases = self.library_bases(module, node)
        if not bases:
            return

        def libraries_have(name: str) -> bool:
            return any(name in vars(k) for base in bases for k in base.__mro__ if _library(k.__module__))

        methods = [item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for item in methods:
            if _private(item.name) and libraries_have(item.name):
                yield f"{node.name}.{item.name} overrides a library's private method"
        for inner in ast.walk(node):
            if isinstance(inner, ast.Attribute) and _private(inner.attr) and libraries_have(inner.attr):
                owner = inner.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls") or _is_super(owner):
                    yield f"{node.name} uses the library's private {ast.unparse(inner)}"


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _modules(*folders: str) -> List[Module]:
    return [Module.parse(path) for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


@pytest.fixture(scope="module")
def ours() -> List[Module]:
    return _modules(*WALKED)


def test_nothing_outside_the_door_reaches_into_library_internals(ours: List[Module]) -> None:
    found = sorted(set(Checker(ours, defined_private_names(ours)).findings()))
    assert not found, "move these into overrides/ (one door, one install()):\n" + "\n".join(found)


def test_the_door_is_where_the_internals_are(ours: List[Module]) -> None:
    found = "\n".join(Checker(_modules(DOOR), defined_private_names(ours)).findings())
    for reach in ("RemoteAction._validate_action_result", "_create_X", "_prediction_states", "setLogRecordFactory",
                  "_fetch_access_token", "domain._clean_state"):
        assert reach in found, f"the check no longer sees {reach} in overrides/"


BAD = {
    "private import": "from rasa.core.actions.action import _x",
    "private module": "import rasa.core._private",
    "patched class": "from rasa.shared.core.events import Event\nEvent.resolve_by_type = staticmethod(len)",
    "private class attribute": (
        "from rasa.core.actions.action import RemoteAction\nf = RemoteAction._validate_action_result"
    ),
    "private of an instance": "def f(tracker):\n    return tracker._max_event_history",
    "log factory": "import logging\nlogging.setLogRecordFactory(logging.LogRecord)",
    "inherited private": (
        "from wechatpy import WeChatClient\nclass C(WeChatClient):\n"
        "    def f(self):\n        return self._fetch_access_token(url='', params={})"
    ),
    "overridden private": (
        "from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier as L\n"
        "class C(L):\n    def _create_X(self, m):\n        return m"
    ),
    "through our own base": (
        "from rasa.core.policies.rule_policy import RulePolicy\nclass A(RulePolicy):\n    pass\n"
        "class B(A):\n    def f(self, t, d):\n        return super()._prediction_states(t, d)"
    ),
    "setattr": "from sanic import Sanic\nsetattr(Sanic, 'handle_request', None)",
}
GOOD = {
    "our own private": (
        "class C:\n    def __init__(self):\n        self._inner = 1\n"
        "    def f(self, other):\n        return other._inner"
    ),
    "our own method on a library subclass": (
        "from rasa.core.channels.channel import InputChannel\nclass C(InputChannel):\n"
        "    def _claim(self):\n        return self._claim"
    ),
    "public logging": "import logging\nlogging.getLogger(__name__).addFilter(logging.Filter())",
    "dunder": "from rasa.shared.core.events import Event\nname = Event.__name__",
}


def _check(source: str) -> List[str]:
    module = Module.parse(Path("snippet.py"), source)
    return list(Checker([module], defined_private_names([module])).findings())


@pytest.mark.parametrize("source", BAD.values(), ids=BAD.keys())
def test_the_check_sees_each_kind_of_reach(source: str) -> None:
    assert _check(source)


@pytest.mark.parametrize("source", GOOD.values(), ids=GOOD.keys())
def test_the_check_leaves_our_own_and_public_names_alone(source: str) -> None:
    assert _check(source) == []


# --- bot/actions and connectors call service functions: no session, no model (issue 14, item 5) ---
CALLERS = ("bot/actions", "connectors")
SESSION_MODULES = frozenset({"govservice.db", "govservice.orm"})


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def model_modules(modules: List[Module]) -> Set[str]:
    """Our modules that define SQLAlchemy models: a class on the declarative ``Base``."""
    return {
        dotted(module.path)
        for module in modules
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef) and any(ast.unparse(base) == "Base" for base in node.bases)
    }


def session_findings(module: Module, models: Set[str]) -> Iterator[str]:
    """Each import that reaches a session or a model (an ``if TYPE_CHECKING:`` import never runs)."""
    type_only = {
        id(inner)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    for node in ast.walk(module.tree):
        if id(node) in type_only:
            continue
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:  # "from pkg import module" too
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            if name.split(".")[0] == "sqlalchemy" or name in SESSION_MODULES or name in models:
                yield f"{module.path.name}:{node.lineno}: imports {name}"


def test_actions_and_channels_open_no_session_and_import_no_model(ours: List[Module]) -> None:
    models = model_modules(ours)
    assert {"govservice.orm", "govservice.identity.models", "govservice.handoff.models"} <= models
    found = [problem for module in _modules(*CALLERS) for problem in session_findings(module, models)]
    assert not found, "call the area's service functions (govservice/<area>/service.py):\n" + "\n".join(found)


PLANTED = {  # source -> whether the rule must refuse it
    "from govservice.db import session_scope": True,
    "from govservice.identity.models import Person": True,
    "from govservice.identity import models": True,
    "import sqlalchemy.orm": True,
    "from govservice.identity import service as identity": False,
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from govservice.catalog.models import X": False,
}


@pytest.mark.parametrize("source", PLANTED)
def test_the_session_rule_sees_a_planted_violation(source: str, ours: List[Module]) -> None:
    planted = Module.parse(ROOT / "bot" / "actions" / "planted.py", source)
    assert bool(list(session_findings(planted, model_modules(ours)))) is PLANTED[source]
