"""Directives that put lstmx's own numbers into the pages at build time.

``.. lstmx-shapes:: lstm 128 64`` renders ``LSTMCell(128, 64).shapes()`` as a table, so the table of
gate matrices in the docs is the one the library computes, never typed by hand.
"""
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

import lstmx

CELLS = {"lstm": lstmx.LSTMCell, "gru": lstmx.GRUCell, "rnn": lstmx.RNNCell}


class ShapesTable(Directive):
    required_arguments = 3   # cell, input_size, hidden_size
    has_content = False

    def run(self):
        cell_name, I, H = self.arguments[0], int(self.arguments[1]), int(self.arguments[2])
        cell = CELLS[cell_name](I, H)
        lines = [f".. list-table:: {type(cell).__name__}(input_size={I}, hidden_size={H}): "
                 f"{cell.count_params():,} parameters", "   :header-rows: 1", "",
                 "   * - name", "     - shape", "     - parameters", "     - role"]
        for r in cell.shapes():
            lines += [f"   * - ``{r['name']}``", f"     - ``{r['shape']}``", f"     - {r['count']:,}",
                      f"     - {r['role']}"]
        node = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive("lstmx-shapes", ShapesTable)
    return {"parallel_read_safe": True}
