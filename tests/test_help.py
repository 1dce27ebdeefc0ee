"""``help(cls)`` of every public class shows its parameters: a numpydoc Parameters section of the
class (or of its own ``__init__``) that names every argument of the constructor."""
import importlib
import inspect
import pydoc
import re

import pytest

import lstmx

# modules whose classes a user meets; their classes are those they export (``__all__``) or define
MODULES = ("lstmx", "lstmx.layers", "lstmx.models", "lstmx.word2vec", "lstmx.callbacks", "lstmx.optimizers",
           "lstmx.text", "lstmx.initializers", "lstmx.losses")
SECTION = re.compile(r"^Parameters\n-{3,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.MULTILINE | re.DOTALL)
ENTRY = re.compile(r"^\*{0,2}(\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::|$)")


def public_classes():
    found = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, obj in vars(module).items()
                     if inspect.isclass(obj) and obj.__module__ == module_name and not n.startswith("_")]
        for n in names:
            obj = getattr(module, n)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                found.setdefault(obj, f"{module_name}.{n}")
    return found


CLASSES = public_classes()


def constructor_parameters(cls):
    """The names a user passes to ``cls(...)`` (no self, no *args / **kwargs)."""
    return [p.name for p in inspect.signature(cls).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def documented_parameters(cls):
    """The names listed in the Parameters sections of the class's docstring and its own __init__'s."""
    docs = [inspect.getdoc(cls) or ""]
    if "__init__" in vars(cls) and cls.__init__.__doc__:
        docs.append(inspect.getdoc(cls.__init__))
    names = set()
    for doc in docs:
        for section in SECTION.findall(doc):
            for line in section.splitlines():
                m = ENTRY.match(line)
                if m:
                    names.update(name.strip().lstrip("*") for name in m.group(1).split(","))
    return names


def test_the_public_classes_are_found():
    names = set(CLASSES.values())
    assert {"lstmx.LSTM", "lstmx.GRU", "lstmx.SimpleRNN", "lstmx.Sequential", "lstmx.Model", "lstmx.KeyedVectors",
            "lstmx.callbacks.EarlyStopping", "lstmx.text.Tokenizer", "lstmx.LSTMCell"} <= names
    assert all(cls.__module__.startswith("lstmx") for cls in CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=list(CLASSES.values()))
def test_help_of_every_public_class_describes_every_parameter(cls):
    missing = [p for p in constructor_parameters(cls) if p not in documented_parameters(cls)]
    assert missing == [], f"help({CLASSES[cls]}) has no Parameters entry for {', '.join(missing)}"
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    if constructor_parameters(cls):
        assert "Parameters\n" in text.replace(" |  ", "")


def test_help_of_a_recurrent_layer_shows_the_parameters_of_its_base():
    text = pydoc.render_doc(lstmx.LSTM, renderer=pydoc.plaintext)
    for words in ("units : int", "return_sequences : bool", "recurrent_dropout : float", "backend : {"):
        assert words in text
