"""Moving models between lstmx and other libraries.

:mod:`lstmx.interop.torch`: recurrent layers to and from ``torch.nn.LSTM`` / ``GRU`` / ``RNN``, and a
``Sequential`` to a ``torch.nn.Module`` that computes the same outputs. PyTorch is optional
(``pip install lstmx[torch]``); importing this package does not import it.

:mod:`lstmx.interop.keras`: weights in Keras 3's layout (``get_weights()`` order), to and from any
lstmx layer or model; Keras itself is not needed.
"""
