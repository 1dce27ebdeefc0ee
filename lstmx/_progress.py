"""Progress lines that suit where they go: redrawn in place in a terminal or a Jupyter notebook,
one finished line at a time in a log file or a pipe (as Keras's ``verbose=2``), where each
carriage return would stay in the file and glue the updates into one long line."""


def redraws(stream):
    """Whether ``stream`` shows a line redrawn in place by "\\r": a terminal, or the output of a
    Jupyter cell (an IPython kernel's stream, which is not a terminal but renders "\\r")."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):      # no isatty, or a closed stream
        return False
    return type(stream).__module__.split(".")[0] == "ipykernel"
