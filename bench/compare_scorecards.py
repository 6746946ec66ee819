"""Compares the scorecards of two study reports (report/report.html): for every run, method and check,
the verdict and whether the second report's mean lies within the first's confidence interval.

    python3 bench/compare_scorecards.py before/report/report.html after/report/report.html

Prints one line per cell that differs and a summary; exits 1 if any verdict changed."""
import sys
from html.parser import HTMLParser


class Scorecards(HTMLParser):
    """(table id, method, column) -> {"mean", "low", "high", "verdict"} from the scorecard tables."""

    def __init__(self):
        super().__init__()
        self.cells, self.table, self.method = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("class") == "scorecard":
            self.table = a.get("id")
        elif tag == "tr" and self.table and "data-method" in a:
            self.method = a["data-method"]
        elif tag == "td" and self.table and self.method and "data-col" in a:
            cell = self.cells.setdefault((self.table, self.method, a["data-col"]), {})
            if "data-mean" in a:
                cell.update(mean=float(a["data-mean"]), low=float(a["data-low"]), high=float(a["data-high"]))
            if "data-verdict" in a:
                cell["verdict"] = a["data-verdict"]

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None


def scorecards(path):
    p = Scorecards()
    p.feed(open(path, encoding="utf-8").read())
    return p.cells


def main(before_path, after_path):
    before, after = scorecards(before_path), scorecards(after_path)
    changed = outside = compared = 0
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            print("only in %s: %s" % ("the second" if b is None else "the first", key))
            continue
        compared += 1
        if b.get("verdict") != a.get("verdict"):
            changed += 1
            print("verdict %s -> %s: %s" % (b.get("verdict"), a.get("verdict"), key))
        if "mean" in b and "mean" in a and not (b["mean"] != b["mean"] and a["mean"] != a["mean"]) and \
                not (b["low"] <= a["mean"] <= b["high"]):  # NaN in both: no value either time
            outside += 1
            print("mean %.4f outside [%.4f, %.4f] (was %.4f): %s" % (a["mean"], b["low"], b["high"], b["mean"], key))
    print("%d cells compared: %d verdicts changed, %d means outside the first report's interval" %
          (compared, changed, outside))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
