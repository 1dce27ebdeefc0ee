"""The graph of a model: its nodes in the order they run, and one forward and one backward loop.

A node is one call of a layer on symbolic tensors (:mod:`lstmx.layers.symbolic`). The forward loop
runs the nodes in topological order, each on the values (and masks) of its inputs, and keeps each
call's cache. The backward loop walks the same list in reverse: each node turns the gradients of
its outputs into the gradients of its inputs with the layer's hand-written ``backward``; where a
tensor feeds several nodes, its gradients are summed; where a layer is called at several places,
its parameter gradients are summed over the calls.
"""
from ..layers.base import add_gradients
from ..layers.symbolic import InputLayer, SymbolicTensor


class Graph:
    """The nodes between ``inputs`` and ``outputs`` (lists of symbolic tensors), in running order.

    Raises ValueError when an output does not depend on the given inputs alone, when an input is
    given twice, or when the nodes form a cycle (possible only in a tampered saved file).
    """

    def __init__(self, inputs, outputs):
        for t in list(inputs) + list(outputs):
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"a Model's inputs and outputs are symbolic tensors (lstmx.Input and what "
                                f"layers return on it), got {type(t).__name__}")
        for t in inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"a Model's inputs must be lstmx.Input tensors; {t.name!r} is the output of "
                                 f"a {type(t.node.layer).__name__} layer")
        if len({id(t) for t in inputs}) != len(inputs):
            raise ValueError("the same Input is given twice in the model's inputs")
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.nodes = self._topological_order()
        self.layers = list({id(n.layer): n.layer for n in self.nodes
                            if not isinstance(n.layer, InputLayer)}.values())
        self.consumers = {}     # id(tensor) -> how many nodes read it
        for node in self.nodes:
            for t in node.inputs:
                self.consumers[id(t)] = self.consumers.get(id(t), 0) + 1

    def _topological_order(self):
        """Depth-first from the outputs: a node comes after every node whose outputs it reads."""
        given = {id(t.node) for t in self.inputs}
        order, done, visiting = [], set(), set()

        def visit(node, path):
            if id(node) in done:
                return
            if id(node) in visiting:
                raise ValueError(f"the graph has a cycle through layer {node.layer.name!r}")
            if isinstance(node.layer, InputLayer) and id(node) not in given:
                raise ValueError(f"output {path} is not connected to the model's inputs: it depends on the "
                                 f"Input {node.layer.name!r}, which is not among them")
            visiting.add(id(node))
            for t in node.inputs:
                visit(t.node, path)
            visiting.discard(id(node))
            done.add(id(node))
            order.append(node)

        for t in self.outputs:
            visit(t.node, repr(t.name))
        missing = [t.name for t in self.inputs if id(t.node) not in done]
        if missing:
            raise ValueError(f"the model's outputs do not depend on its input(s) {missing}")
        return [n for n in order if not isinstance(n.layer, InputLayer)]


def run_forward(graph, input_values, training=False):
    """Run the graph on ``input_values`` (one array per input).

    Returns ``(outputs, output_masks, trace)``: the output arrays, their masks (None where none),
    and the ``trace`` that :func:`run_backward` walks back, one ``(node, cache)`` a call.
    """
    values = {id(t): v for t, v in zip(graph.inputs, input_values)}
    masks = {id(t): None for t in graph.inputs}
    trace = []
    for node in graph.nodes:
        args, states = node.call_arguments([values[id(t)] for t in node.inputs])
        in_masks = [masks[id(t)] for t in node.inputs[:node.n_main]]
        in_mask = in_masks[0] if node.single_input else in_masks
        extra = {} if states is None else {"initial_state": states}
        out, cache = node.layer.forward(args, mask=in_mask, training=training,
                                        **extra, **node.options)
        out_mask = node.layer.compute_mask(args, in_mask, **node.options)
        if len(node.outputs) == 1:
            out, out_mask = [out], [out_mask]
        for t, v, m in zip(node.outputs, out, out_mask):
            values[id(t)], masks[id(t)] = v, m
        trace.append((node, cache))
    return [values[id(t)] for t in graph.outputs], [masks[id(t)] for t in graph.outputs], trace


def run_backward(trace, output_grads, logit_grads=None):
    """Backpropagate through the ``trace`` of :func:`run_forward`.

    Parameters
    ----------
    output_grads : dict id(output tensor) -> gradient of the loss with respect to it
    logit_grads : dict id(output tensor) -> gradient with respect to the logits under the
        output's activation, for a Dense output whose loss was computed from its logits

    Returns
    -------
    dict layer -> {parameter name: gradient}, summed over the layer's calls.
    """
    grads = dict(output_grads)    # id(tensor) -> d loss / d tensor, summed over its readers
    logit_grads = logit_grads or {}
    param_grads = {}
    for node, cache in reversed(trace):
        layer = node.layer
        if id(node.outputs[0]) in logit_grads:  # the loss started under this Dense's activation
            d_inputs = [layer.backward_from_logits(logit_grads[id(node.outputs[0])], cache)]
        else:
            d_outputs = [grads.pop(id(t), None) for t in node.outputs]
            if all(d is None for d in d_outputs):
                continue                        # nothing downstream depends on this call
            d_inputs = layer.backward_node(d_outputs, cache)
        if layer.params:
            summed = param_grads.setdefault(layer, {})
            for name, g in layer.grads.items():
                summed[name] = add_gradients(summed.get(name), g)
        for t, d in zip(node.inputs, d_inputs):
            if d is not None:
                grads[id(t)] = d if id(t) not in grads else grads[id(t)] + d
    return param_grads
