"""What lstmx's documentation adds to Sphinx.

- ``.. lstmx-shapes:: lstm 128 64`` renders ``LSTMCell(128, 64).shapes()`` as a table, so the table of
  gate matrices in the docs is the one the library computes, never typed by hand. The per-gate views
  are counted once: the packs ``W``, ``U``, ``b`` hold the same numbers and are listed after the
  total, without a count of their own.
- Signatures show a default as it is written: ``dtype=float32``, not ``dtype=<class 'numpy.float32'>``;
  ``print_fn=print``, not ``print_fn=<built-in function print>``.
- Every image links to itself at full size (Sphinx does so only for images given a size).
- A short inline literal (a shape such as ``(256, 128)``, a name) is never broken across lines: it
  gets the class ``lstmx-nowrap`` (see ``_static/lstmx.css``).
- Every figure that the build draws with matplotlib has its smallest text size and its width in
  pixels written to ``figure_text.json`` in the output folder, for ``tests/test_docs.py`` to check
  that labels stay legible once the figure is scaled into the text column.
"""
import json
import os
import posixpath
import re

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

import lstmx

CELLS = {"lstm": lstmx.LSTMCell, "gru": lstmx.GRUCell, "rnn": lstmx.RNNCell}
PACKS = ("W", "U", "b")


def shapes_rows(cell):
    """The table's rows, ``(name, shape, parameters, role)``: each gate's views with their counts,
    a total equal to ``cell.count_params()``, then the packs, which hold those same numbers."""
    rows = [r for r in cell.shapes() if r["name"] not in PACKS]
    packs = [r for r in cell.shapes() if r["name"] in PACKS]
    out = [(f"``{r['name']}``", f"``{r['shape']}``", f"{r['count']:,}", r["role"]) for r in rows]
    out.append(("**total**", "", f"**{sum(r['count'] for r in rows):,}**", "every parameter once"))
    for r in packs:
        views = ", ".join(f"``{v['name']}``" for v in rows        # W_i, W_f, ... (not b_hn: a bias of its own)
                          if re.fullmatch(re.escape(r["name"]) + r"_\w", v["name"]))
        out.append((f"``{r['name']}``", f"``{r['shape']}``", "(counted above)",
                    f"{r['role']}: the same {r['count']:,} numbers as {views}, one array"))
    return out


class ShapesTable(Directive):
    required_arguments = 3   # cell, input_size, hidden_size
    has_content = False

    def run(self):
        cell_name, I, H = self.arguments[0], int(self.arguments[1]), int(self.arguments[2])
        cell = CELLS[cell_name](I, H)
        lines = [f".. list-table:: {type(cell).__name__}(input_size={I}, hidden_size={H}): "
                 f"{cell.count_params():,} parameters", "   :header-rows: 1", "   :class: lstmx-shapes", "",
                 "   * - name", "     - shape", "     - parameters", "     - role"]
        for name, shape, count, role in shapes_rows(cell):
            lines += [f"   * - {name}", f"     - {shape}", f"     - {count}", f"     - {role}"]
        node = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, node)
        return node.children


def readable_defaults(app, what, name, obj, options, signature, return_annotation):
    """A default as it is written: ``<class 'numpy.float32'>`` -> ``float32``,
    ``<built-in function print>`` -> ``print``, ``<function f at 0x...>`` -> ``f``."""
    if signature:
        signature = re.sub(r"<class 'numpy\.(\w+)'>", r"\1", signature)
        signature = re.sub(r"<built-in function (\w+)>", r"\1", signature)
        signature = re.sub(r"<function ([\w.]+) at 0x[0-9a-f]+>", r"\1", signature)
    return signature, return_annotation


SHORT_LITERAL = 24   # characters: "(4H, I)", "W_i (64, 128)", "mask_zero=True" stay on one line


def keep_short_literals_whole(app, doctree):
    for node in doctree.findall(nodes.literal):
        if len(node.astext()) <= SHORT_LITERAL:
            node["classes"].append("lstmx-nowrap")


def link_images_to_full_size(app):
    """Wrap every image not already in a link in a link to its full-size file in ``_images``."""
    builder = app.builder
    if not hasattr(builder, "post_process_images") or builder.format != "html":
        return
    post_process = builder.post_process_images

    def post_process_images(doctree):
        post_process(doctree)
        for node in list(doctree.findall(nodes.image)):
            if isinstance(node.parent, nodes.reference) or node["uri"] not in builder.images:
                continue
            reference = nodes.reference("", "", internal=True, classes=["image-full-size"],
                                        refuri=posixpath.join(builder.imgpath, builder.images[node["uri"]]))
            node.replace_self(reference)
            reference.append(node)

    builder.post_process_images = post_process_images


_figure_text = {}


def record_figure_text(app):
    """Wrap ``Figure.savefig`` to note each saved PNG's smallest visible text (in pixels) and width."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    if getattr(Figure.savefig, "_lstmx_docs", False):
        return
    savefig = Figure.savefig

    def recording_savefig(fig, fname, *args, **kwargs):
        result = savefig(fig, fname, *args, **kwargs)
        if isinstance(fname, (str, os.PathLike)) and str(fname).endswith(".png"):
            try:
                _record(fig, fname, kwargs)
            except Exception as exc:   # a measurement must never break the build; the test sees the gap
                _figure_text[os.path.basename(str(fname))] = {"error": repr(exc)}
        return result

    def _record(fig, fname, kwargs):
        dpi = kwargs.get("dpi") or fig.dpi
        dpi = fig.dpi if dpi == "figure" else dpi
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        sizes = []
        for t in fig.findobj(Text):
            if not t.get_visible() or not t.get_text().strip():
                continue
            try:
                ext = t.get_window_extent(renderer)
            except Exception:   # a text that cannot be placed is not drawn either
                continue
            if ext.x1 < box.x0 or ext.x0 > box.x1 or ext.y1 < box.y0 or ext.y0 > box.y1:
                continue
            sizes.append((t.get_fontsize() * dpi / 72, t.get_text()[:40]))
        if sizes:
            px, text = min(sizes)
            _figure_text[os.path.basename(str(fname))] = {
                "width_px": round(fig.get_figwidth() * dpi), "min_text_px": round(px, 2), "text": text}

    recording_savefig._lstmx_docs = True
    Figure.savefig = recording_savefig


def write_figure_text(app, exception):
    if exception is None and app.builder.format == "html":
        path = os.path.join(app.outdir, "figure_text.json")
        old = {}
        if os.path.exists(path):   # an incremental build redraws only some figures
            with open(path) as f:
                old = json.load(f)
        old.update(_figure_text)
        with open(path, "w") as f:
            json.dump(old, f, indent=1, sort_keys=True)


def setup(app):
    app.add_directive("lstmx-shapes", ShapesTable)
    app.connect("autodoc-process-signature", readable_defaults)
    app.connect("doctree-read", keep_short_literals_whole)
    app.connect("builder-inited", link_images_to_full_size)
    app.connect("builder-inited", record_figure_text)
    app.connect("build-finished", write_figure_text)
    return {"parallel_read_safe": True}
