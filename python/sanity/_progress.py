"""Progress bars: the library reports its bars (check units, explain methods, training epochs) to an
object with start / update / end, here a tqdm bar when tqdm is installed (tqdm.auto: a widget in
notebooks). Without tqdm the library draws its own line on stderr, as the CLI does."""
try:
    import tqdm as _tqdm_module  # noqa: F401  (only whether it is there)
    HAVE_TQDM = True
except ImportError:  # pragma: no cover - tqdm is optional
    HAVE_TQDM = False


def _new_tqdm(**kwargs):
    # tqdm.auto picks the notebook widget in Jupyter; without ipywidgets that bar cannot be drawn,
    # so the text bar is the fallback.
    try:
        from tqdm.auto import tqdm
        return tqdm(**kwargs)
    except Exception:  # noqa: BLE001 - any failure to draw a widget
        from tqdm.std import tqdm
        return tqdm(**kwargs)


class TqdmBar:
    """The library's bars as tqdm bars, one per library bar."""

    def __init__(self):
        self._bar = None
        self._status = ""

    def start(self, label, total):
        self.end(False)
        self._bar = _new_tqdm(total=total, desc=label, unit="unit", dynamic_ncols=True)
        self._status = ""

    def update(self, done, total, status):
        bar = self._bar
        if bar is None:
            return
        if bar.total != total:
            bar.total = total
        if status != self._status:
            self._status = status
            bar.set_postfix_str(status, refresh=False)
        bar.update(done - bar.n)

    def end(self, completed):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def bar_for(progress):
    """What the library reports to: a TqdmBar, None (the library's own stderr bar, or none when
    progress is False), or a caller's object with start / update / end."""
    if progress is True:
        return TqdmBar() if HAVE_TQDM else None
    if progress is False or progress is None:
        return None
    for method in ("start", "update", "end"):
        if not callable(getattr(progress, method, None)):
            raise TypeError("progress: expected True, False or an object with start(label, total), "
                            "update(done, total, status) and end(completed)")
    return progress


def enabled(progress):
    return progress is not False and progress is not None
