"""Every tutorial page as a Jupyter notebook, made from the page itself at build time.

A page with Python code (``.. code-block:: python`` and the code of ``.. plot::``) gets
``notebooks/<page>.ipynb`` in the HTML output and a download link under its title. The notebook
follows the page: its headings, paragraphs, equations, lists and tables become Markdown cells, its
Python code becomes code cells in the page's order (so a later block sees what an earlier one
made, as in a Jupyter session), and the figures come back when the cells run.

What does not become a code cell:

- a ``text`` block right after a code block: it is that code's output, and running the cell prints it;
- source files shown with ``literalinclude`` (lstmx's own code, to read), shell commands, and
  the solutions of exercises, folded in ``<details>`` as on the page: Markdown;
- nothing else is left out.

A code block that needs a file outside the package (the EWT treebank, a model trained for
minutes) carries ``:class: not-run-in-ci`` on the page: its cell is tagged ``not-run-in-ci``, and
``tests/test_docs.py``, which runs every notebook from the ``docs`` folder, skips those cells. Cells
that read a file of the source tree (``_static/...``, ``../benchmarks/results/...``) run from the
``docs`` folder of an lstmx checkout, as the build does.

The notebooks are written with ``nbformat`` (the Jupyter project's own reader and writer of the
format), which the test extra installs; without it the build makes no notebooks and no links.
"""
import os
import re

from docutils import nodes

NOT_RUN = "not-run-in-ci"


def _inline(node):
    """Markdown of a paragraph's inline content."""
    out = []
    for child in node.children:
        if isinstance(child, nodes.Text):
            out.append(child.astext())
        elif isinstance(child, nodes.literal):
            out.append(f"`{child.astext()}`")
        elif isinstance(child, nodes.math):
            out.append(f"${child.astext()}$")
        elif isinstance(child, nodes.strong):
            out.append(f"**{_inline(child)}**")
        elif isinstance(child, nodes.emphasis):
            out.append(f"*{_inline(child)}*")
        elif isinstance(child, nodes.reference) and child.get("refuri", "").startswith("http"):
            out.append(f"[{_inline(child)}]({child['refuri']})")
        elif isinstance(child, nodes.Element):
            out.append(_inline(child))
    return "".join(out).replace("\n", " ")


class _Notebook:
    """Cells in the page's order; consecutive Markdown is joined into one cell."""

    def __init__(self):
        self.cells = []          # ("markdown" | "code", text, tags)
        self.last_was_code = False
        self.details = None      # Markdown gathered inside an exercise's <details>

    def markdown(self, text):
        if self.details is not None:
            self.details.append(text)
            return
        self.last_was_code = False
        if self.cells and self.cells[-1][0] == "markdown":
            self.cells[-1] = ("markdown", self.cells[-1][1] + "\n\n" + text, ())
        else:
            self.cells.append(("markdown", text, ()))

    def code(self, text, tags=()):
        if self.details is not None:
            self.details.append(f"```python\n{text}\n```")
            return
        self.cells.append(("code", text, tuple(tags)))
        self.last_was_code = True

    def has_code(self):
        return any(kind == "code" for kind, _, _ in self.cells)


def _table(node):
    rows = [[_inline(entry) if not entry.findall(nodes.literal_block) else
             " ".join(lb.astext().replace("\n", "; ") for lb in entry.findall(nodes.literal_block))
             for entry in row.findall(nodes.entry)] for row in node.findall(nodes.row)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(c.replace("|", "\\|") for c in rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _walk(node, nb, level, docdir):
    for child in node.children:
        if isinstance(child, nodes.section):
            title = child.next_node(nodes.title)
            nb.markdown("#" * min(level + 1, 6) + " " + _inline(title))
            _walk(child, nb, level + 1, docdir)
        elif isinstance(child, nodes.title):
            continue
        elif isinstance(child, nodes.paragraph):
            nb.markdown(_inline(child))
        elif isinstance(child, nodes.math_block):
            nb.markdown("$$\n" + child.astext().strip() + "\n$$")
        elif isinstance(child, (nodes.bullet_list, nodes.enumerated_list)):
            mark = "-" if isinstance(child, nodes.bullet_list) else "1."
            items = []
            for item in child.children:
                texts = [_inline(p) for p in item.findall(nodes.paragraph)]
                items.append(f"{mark} " + " ".join(texts))
            nb.markdown("\n".join(items))
        elif isinstance(child, nodes.literal_block):
            _literal_block(child, nb, docdir)
        elif isinstance(child, nodes.table):
            nb.markdown(_table(child))
        elif isinstance(child, nodes.raw) and "html" in child.get("format", ""):
            html = child.astext()
            if "<details>" in html:
                nb.details = [html.strip()]
            elif "</details>" in html and nb.details is not None:
                parts, nb.details = nb.details, None
                nb.markdown("\n\n".join(parts + [html.strip()]))
            else:
                nb.markdown(html)
        elif isinstance(child, (nodes.image, nodes.figure)):
            image = child if isinstance(child, nodes.image) else child.next_node(nodes.image)
            if image is not None and image.get("alt") and "plot_directive" not in image.get("uri", ""):
                nb.markdown(f"*Figure on the page: {image['alt']}*")
        elif isinstance(child, (nodes.Admonition, nodes.note, nodes.warning, nodes.block_quote,
                                nodes.container, nodes.compound, nodes.definition_list, nodes.field_list)):
            _walk(child, nb, level, docdir)
        elif isinstance(child, (nodes.definition_list_item, nodes.term, nodes.definition)):
            _walk(child, nb, level, docdir)
        elif isinstance(child, nodes.Element) and not isinstance(child, (nodes.target, nodes.comment,
                                                                         nodes.substitution_definition)):
            _walk(child, nb, level, docdir)


def _literal_block(node, nb, docdir):
    text = node.astext()
    language = node.get("language", "")
    source = node.get("source") or ""
    included = bool(source) and not source.endswith(".rst")          # literalinclude of a file
    if language in ("python", "python3", "py") and not included:
        nb.code(text, [NOT_RUN] if NOT_RUN in node.get("classes", ()) else [])
        return
    if language == "text" and nb.last_was_code:
        nb.last_was_code = False            # the output the code cell above prints when it runs
        return
    fence = "python" if language in ("python", "python3", "py") else ("bash" if language in ("bash", "console")
                                                                       else "")
    where = f"*From `{os.path.relpath(source, os.path.dirname(docdir))}`:*\n\n" if included else ""
    nb.markdown(f"{where}```{fence}\n{text}\n```")


def _notebook(app, doctree, docname):
    nb = _Notebook()
    nb.markdown(f"*This notebook is the page \"{_inline(doctree.next_node(nodes.title))}\" of lstmx's "
                f"documentation (lstmx {app.config.release}), made from the page's own code when the site "
                f"is built. Cells that read files of the source tree (`_static/...`, `../benchmarks/...`) run "
                f"from the `docs` folder of an lstmx checkout; cells tagged `{NOT_RUN}` need data that is not "
                f"shipped with lstmx or minutes of training.*")
    _walk(doctree, nb, 0, app.srcdir)
    helpers = {name[:-3] for name in os.listdir(os.path.join(app.srcdir, "_ext")) if name.endswith(".py")}
    if any(re.search(rf"^\s*(from|import) ({'|'.join(helpers)})\b", text, re.M)
           for kind, text, _ in nb.cells if kind == "code"):
        # the page draws with a helper module of docs/_ext, which the build puts on sys.path
        first = next(k for k, (kind, _, _) in enumerate(nb.cells) if kind == "code")
        nb.cells.insert(first, ("code", 'import sys\nsys.path.insert(0, "_ext")   # docs/_ext: the page\'s '
                                        'drawing helpers', ()))
    return nb


def write_notebook(app, doctree, docname):
    try:
        import nbformat
    except ImportError:
        return
    if docname in app.config.lstmx_notebook_skip:
        return
    nb = _notebook(app, doctree, docname)
    if not nb.has_code():
        return
    out = nbformat.v4.new_notebook()
    out.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                        language_info={"name": "python"})
    for kind, text, tags in nb.cells:
        cell = nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)
        if tags:
            cell.metadata["tags"] = list(tags)
        out.cells.append(cell)
    folder = os.path.join(app.outdir, "notebooks")
    os.makedirs(folder, exist_ok=True)
    nbformat.write(out, os.path.join(folder, docname + ".ipynb"))
    # the link under the page's title
    title = doctree.next_node(nodes.title)
    link = nodes.paragraph(classes=["lstmx-notebook-link"])
    link += nodes.reference("", "Download this page as a Jupyter notebook",
                            refuri=f"notebooks/{docname}.ipynb", classes=["download"])
    title.parent.insert(title.parent.index(title) + 1, link)


def setup(app):
    app.add_config_value("lstmx_notebook_skip", ["index", "api", "cli", "changelog"], "html")
    app.connect("doctree-resolved", write_notebook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
