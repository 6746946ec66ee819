"""`python -m sanity ...` and the `sanity` command of `pip install .`: the C++ command line installed
inside this package (bin/sanity), run in this process's place with the same arguments and streams."""
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    # Installed by pip: bin/sanity in the package; in a build folder (build/python/sanity): build/sanity.
    cli = next((c for c in (os.path.join(here, "bin", "sanity"), os.path.join(here, "..", "..", "sanity"))
                if os.path.exists(c)), None)
    if cli is None:
        sys.exit("sanity: the command line is missing beside %s (pip install . installs it)" % here)
    os.execv(cli, [cli] + sys.argv[1:])


if __name__ == "__main__":
    main()
