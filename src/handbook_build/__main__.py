"""``python -m handbook_build``: the same command line as ``handbook-build``."""

from handbook_build.entry import main

if __name__ == "__main__":
    main()
