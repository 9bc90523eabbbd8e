"""``python -m handbook_build.diagnostic_codes [CODE]``: the page, or one code explained."""

import sys

from handbook_build.diagnostic_codes.lookup import main

sys.exit(main(sys.argv[1:]))
