"""A forecast against the truth, with its interval, and its residuals below."""
from ._common import _pyplot


def plot_forecast(dates, truth, forecast, lower=None, upper=None, history=None, title=None):
    """Two panels: the truth and the forecast (with the band ``lower``..``upper`` when given, and the
    series before them as ``history`` = (dates, values)); below, the residuals ``truth - forecast``.

    Parameters
    ----------
    dates : (N,) dates (or numbers) of the forecast steps
    truth, forecast : (N,) arrays;  lower, upper : (N,) arrays or None
    history : (dates, values) or None
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    truth, forecast = np.asarray(truth, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    if truth.shape != forecast.shape or truth.ndim != 1 or len(dates) != len(truth):
        raise ValueError(f"dates, truth and forecast must be (N,) alike, got {len(dates)}, {truth.shape}, "
                         f"{forecast.shape}")
    plt = _pyplot()
    fig, (ax, res) = plt.subplots(2, 1, figsize=(8, 4.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    if history is not None:
        ax.plot(history[0], history[1], color="0.55", lw=1, label="series")
    ax.plot(dates, truth, color="0.15", lw=1.2, label="truth")
    if lower is not None and upper is not None:
        ax.fill_between(dates, lower, upper, color="C0", alpha=0.25, label="interval")
    ax.plot(dates, forecast, color="C3", lw=1.2, label="forecast")
    ax.legend(fontsize=8, loc="upper left")
    res.axhline(0.0, color="0.5", lw=0.8)
    res.plot(dates, truth - forecast, color="C3", lw=0.8)
    res.set_ylabel("residual")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
