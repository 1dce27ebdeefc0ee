"""Where the data sets are looked for when no path is given: ``$LSTMX_DATA``, then ``~/.lstmx/datasets``."""
import os


def data_dirs():
    """The folders searched, in order (``$LSTMX_DATA`` only when it is set)."""
    return [d for d in (os.environ.get("LSTMX_DATA"), os.path.join(os.path.expanduser("~"), ".lstmx", "datasets")) if d]
