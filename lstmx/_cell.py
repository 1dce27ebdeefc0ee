"""What every recurrent cell shares: packed parameters, per-gate views into them, the shape table.

A cell with ``G`` gates keeps its parameters *packed*, gates stacked along the first axis:

- ``W``: ``(G*H, I)`` input weights, gate ``k`` in rows ``k*H : (k+1)*H``
- ``U``: ``(G*H, H)`` recurrent weights, same row blocks
- ``b``: ``(G*H,)`` bias

and exposes each gate's block as a NumPy *view* (``cell.W_f is a view of cell.W``), so the readable
per-gate matrices and the packed arrays that the fast kernels use are the same memory.
"""
import numpy as np

from ._validation import check_dtype, check_positive_int
from .initializers import glorot_uniform, orthogonal


def _gate_view(pack, k, letter):
    """Property: the rows of gate ``k`` in the pack ``pack`` ("W", "U" or "b"), as a view."""

    def get(self):
        H = self.hidden_size
        return getattr(self, pack)[k * H:(k + 1) * H]

    def set(self, value):
        view = get(self)
        value = np.asarray(value)
        if value.ndim and value.shape != view.shape:  # a scalar fills the block
            raise ValueError(f"{pack}_{letter}: expected shape {view.shape} or a scalar, got {value.shape}")
        view[...] = value  # write into the pack: the view and the pack stay one memory

    return property(get, set, doc=f"Gate {k}'s block of ``{pack}`` (a view into the pack).")


class RecurrentCell:
    """Base of ``LSTMCell``, ``GRUCell`` and ``RNNCell``.

    Subclasses set ``gates`` (the gate letters in pack order) and ``gate_roles``, and define
    ``step``. Parameters are initialised as Keras does: Glorot-uniform ``W``, orthogonal ``U``,
    zero ``b``.
    """

    gates = ()
    gate_roles = {}
    param_names = ("W", "U", "b")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for k, letter in enumerate(cls.gates):
            for pack in ("W", "U", "b"):
                setattr(cls, f"{pack}_{letter}", _gate_view(pack, k, letter))

    def __init__(self, input_size, hidden_size, seed=None, dtype=np.float32):
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.dtype = check_dtype(dtype)
        G, H, I = len(self.gates), self.hidden_size, self.input_size
        rng = np.random.default_rng(seed)
        self.W = glorot_uniform(rng, G * H, I, self.dtype)  # (G*H, I)
        self.U = orthogonal(rng, G * H, H, self.dtype)      # (G*H, H)
        self.b = np.zeros(G * H, self.dtype)                # (G*H,)

    @property
    def params(self):
        """The packed parameters, by name: ``{"W": (G*H, I), "U": (G*H, H), "b": (G*H,)}``."""
        return {name: getattr(self, name) for name in self.param_names}

    def count_params(self):
        """Number of scalars in all packs: ``G * (H*I + H*H + H)`` (plus ``H`` for GRU's ``b_hn``)."""
        return sum(p.size for p in self.params.values())

    def _check_step(self, x_t, states):
        """``x_t`` and the states of a ``step`` call as arrays, after checking their shapes: ``x_t``
        is ``(B, I)`` (or ``(I,)``, one unbatched step) and every state ``(B, H)`` (or ``(H,)``).
        ``states`` maps each state's name to what came."""
        cls, I, H = type(self).__name__, self.input_size, self.hidden_size
        x_t = np.asarray(x_t)
        if x_t.ndim not in (1, 2) or x_t.shape[-1] != I:
            raise ValueError(f"{cls}.step: x_t must have shape (batch, input_size) = (batch, {I}) or ({I},), "
                             f"got {x_t.shape}")
        want = (*x_t.shape[:-1], H)
        checked = []
        for name, s in states.items():
            s = np.asarray(s)
            if s.shape != want:
                raise ValueError(f"{cls}.step: {name} must have shape {want} (x_t has shape {x_t.shape}, "
                                 f"hidden_size is {H}), got {s.shape}")
            checked.append(s)
        return x_t, checked

    def _one_state(self, h_prev):
        """``h_prev`` itself, refused when it is a tuple or a list: a GRU's or an RNN's step takes one
        array, its only state."""
        if isinstance(h_prev, (tuple, list)):
            raise TypeError(f"{type(self).__name__}.step takes h_prev, one (batch, {self.hidden_size}) array (the "
                            f"only state: there is no cell state c), got a {type(h_prev).__name__} of "
                            f"{len(h_prev)}: pass the array itself, h = cell.step(x_t, h)")
        return h_prev

    def shapes(self):
        """The table of every per-gate parameter: name, shape, role in the equations, count.

        Returns
        -------
        list of dict
            One row a parameter with keys ``name``, ``shape``, ``role``, ``count``; the packs
            ``W``, ``U``, ``b`` come last, with the gate blocks they stack.
        """
        H, I = self.hidden_size, self.input_size
        rows = []
        for letter in self.gates:
            role = self.gate_roles[letter]
            rows.append(dict(name=f"W_{letter}", shape=(H, I), role=f"{role}: weights on x_t", count=H * I))
            rows.append(dict(name=f"U_{letter}", shape=(H, H), role=f"{role}: weights on h_(t-1)", count=H * H))
            rows.append(dict(name=f"b_{letter}", shape=(H,), role=f"{role}: bias", count=H))
        rows.extend(self._extra_shapes())
        stacked = ", ".join(self.gates)
        for name, p in self.params.items():
            if name in ("W", "U", "b"):
                rows.append(dict(name=name, shape=p.shape, role=f"pack of [{stacked}] (gate blocks stacked on rows)",
                                 count=p.size))
        return rows

    def _extra_shapes(self):
        return []

    def shapes_table(self):
        """``shapes()`` as aligned text, with the total parameter count."""
        rows = self.shapes()
        gate_rows = [r for r in rows if r["name"] not in self.params or r["name"] == "b_hn"]
        lines = [f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})",
                 f"{'name':<6} {'shape':<12} {'count':>10}  role"]
        for r in gate_rows:
            lines.append(f"{r['name']:<6} {str(r['shape']):<12} {r['count']:>10,}  {r['role']}")
        lines.append(f"total parameters: {self.count_params():,}")
        # the packs are the gate blocks above, stacked: the same memory, so they are not counted again
        lines.append("the packs (the blocks above stacked on rows, not counted again):")
        for r in rows:
            if r not in gate_rows:
                lines.append(f"{r['name']:<6} {str(r['shape']):<12} {'':>10}  {r['role']}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"dtype={self.dtype.name})")

    def _repr_html_(self):
        """The shape table as an HTML table, which Jupyter shows for a cell: one row a gate matrix, then
        the packs (the same numbers again, stacked, so they are not added to the total)."""
        from html import escape
        rows = self.shapes()
        gate_rows = [r for r in rows if r["name"] not in self.params or r["name"] == "b_hn"]
        pack_rows = [r for r in rows if r not in gate_rows]

        def tr(r, style=""):
            return (f"<tr{style}><td><code>{escape(r['name'])}</code></td><td><code>{r['shape']}</code></td>"
                    f"<td style='text-align:right'>{r['count']:,}</td><td>{escape(r['role'])}</td></tr>")

        grey = " style='color:#666'"
        return ("<table>"
                f"<caption>{escape(repr(self))}: {self.count_params():,} parameters</caption>"
                "<thead><tr><th>name</th><th>shape</th><th>count</th><th>role</th></tr></thead><tbody>"
                + "".join(tr(r) for r in gate_rows)
                + f"<tr{grey}><td colspan='4'><i>the packs: the gate blocks above stacked on rows, the same "
                  f"memory (not counted again)</i></td></tr>"
                + "".join(tr(r, grey) for r in pack_rows)
                + "</tbody></table>")

    def explain(self, x_t, state, weights=False, precision=3, file=None):
        """One ``step``, printed gate by gate: each equation, the matrices it uses with their shapes,
        and the numbers. Returns what ``step`` returns, computed the same way (the same floats).

        Parameters
        ----------
        x_t : (B, I) array, or (I,) for one unbatched sequence
        state : what ``step`` takes: ``(h_prev, c_prev)`` for an LSTM, ``h_prev`` for a GRU or an RNN
        weights : bool, also print every matrix and bias the step uses (readable for small I and H)
        precision : int, decimals printed
        file : writable text stream, default ``sys.stdout``

        Returns
        -------
        ``(h_t, c_t)`` for an LSTM, ``h_t`` for a GRU or an RNN: equal to ``step(x_t, state)``.

        Examples
        --------
        >>> cell = lstmx.LSTMCell(3, 2, seed=0)
        >>> h, c = cell.explain(np.array([1.0, 0.0, -1.0]), (np.zeros(2), np.zeros(2)))  # doctest: +SKIP
        """
        out = _Explanation(self, precision, file, weights)
        result = self._explain(x_t, state, out)
        out.flush()
        return result

    def _explain(self, x_t, state, out):
        raise NotImplementedError


class _Explanation:
    """The text of ``explain``: lines of ``label = values``, the values' columns aligned."""

    def __init__(self, cell, precision, file, weights=False):
        self.cell, self.precision, self.file, self.weights = cell, precision, file, weights
        self.lines = []

    def values(self, a):
        return np.array2string(np.asarray(a), precision=self.precision, floatmode="fixed", sign=" ",
                               suppress_small=True)

    def title(self, x_t, states):
        cell = self.cell
        given = ", ".join(f"{name} {np.shape(v)}" for name, v in states.items())
        self.lines.append((f"{type(cell).__name__}: one step, I = {cell.input_size} inputs, H = "
                           f"{cell.hidden_size} hidden units", None))
        self.lines.append((f"shapes: x_t {np.shape(x_t)}, {given}", None))
        self.lines.append(("", None))
        for name, v in {"x_t": x_t, **states}.items():
            self.lines.append((f"  {name}", v))

    def equation(self, text, role):
        self.lines.append(("", None))
        self.lines.append((f"{text:<40}  {role}", None))

    def matrix(self, label, value):
        """A weight matrix's values, printed only with ``weights=True``."""
        if self.weights:
            self.lines.append((f"  {label}", value))

    def term(self, label, value):
        self.lines.append((f"  {label}", value))

    def result(self, label, value):
        self.lines.append((f"  => {label}", value))

    def flush(self):
        import sys
        width = max(len(label) for label, v in self.lines if v is not None)
        text = []
        for label, v in self.lines:
            if v is None:
                text.append(label)
                continue
            block = self.values(v).splitlines()
            pad = " " * (width + 3)
            text.append(f"{label:<{width}} = {block[0]}")
            text.extend(pad + line for line in block[1:])
        print("\n".join(text), file=self.file or sys.stdout)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``; exp overflow for very negative x gives exactly 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))
