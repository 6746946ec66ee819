"""examples/your_method.ipynb runs as a researcher would start from it: its code cells in order, in
one namespace (as one kernel runs them; nbclient and a Jupyter kernel are not among the test
dependencies, and the cells use no notebook magic)."""
import json
import os

import numpy as np

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "your_method.ipynb")


def test_the_your_method_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(NOTEBOOK) as f:
        cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    namespace = {}
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        exec(compile(source, "%s, code cell %d" % (NOTEBOOK, i + 1), "exec"), namespace)
    df, summary = namespace["df"], namespace["summary"]
    assert set(df.method) == {"gradient", "guided_backprop", "captum_ig", "input_times_gradient"}
    assert set(df.check) == {"cascading", "random_logit"}
    assert np.allclose(summary.loc[0].to_numpy(), 1.0), "every method equals itself on the trained model"
    assert os.path.exists(namespace["html"])
