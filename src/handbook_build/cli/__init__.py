"""The command line (click): takes the arguments, gives the exit code; sets up logging, prints
progress and the summary.

No build logic lives here: ``pipeline.build`` does the work. Exit codes: 0 ok, 1 content or
build error, 2 usage error, 3 a required tool or library is missing; stopped by a signal
(stopping.py): 130 SIGINT, 143 SIGTERM, 129 SIGHUP, after one line on stderr.

Modules: commands.py (the group; build, watch, check), editor.py (init, serve, release),
options.py (the shared options), output.py (all the printing), exits.py (errors and stop signals
to exit codes), book.py (the manifest, once or on each save).
"""

from __future__ import annotations

from handbook_build.cli.commands import book_request, first_build, main
from handbook_build.cli.output import (
           MAX_LISTED_WARNINGS,
           colour_wanted,
           paint,
           plural,
           warning_lines,
)

__all__ = ["MAX_LISTED_WARNINGS", "book_request", "colour_wanted", "first_build", "main", "paint",
           "plural", "warning_lines"]
