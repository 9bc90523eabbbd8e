"""Link rewriting (source-normalizing stage; pure, no I/O): takes one chapter's Markdown and its
context, gives the Markdown with every link rewritten, and what was found.

Three jobs, all on text:

* ``repair_url`` (url_repair.py): fix the malformed URLs a wiki/WordPress conversion leaves
  behind (``http://%20http://x``, ``http:http://x``, stray ``%20``, scheme-less domains, broken
  percent escapes) where the fix is unambiguous, and recognise plain text used as a link target;
* ``SiteMap`` (site_map.py): links to the book's own web site (the handbook used to live on
  WordPress) point at chapters that are in the book, so they become internal links;
* ``rewrite_links`` (rewrite.py; targets.py decides each target): walk the prose (never code)
  and rewrite every inline link, autolink and raw ``<a href>`` per the manuscript contract:
  ``#frag`` -> ``#slug--frag``, ``other.md#x`` -> ``#otherslug--x``, own-site pages ->
  ``#slug``, the rest repaired or unlinked with a warning.
"""

from __future__ import annotations

from handbook_build.sources.links.rewrite import LinkResult, display_path, rewrite_links
from handbook_build.sources.links.site_map import (
    SiteLookup,
    SiteMap,
    build_site_map,
    is_site_asset,
    slugify,
)
from handbook_build.sources.links.targets import LinkContext
from handbook_build.sources.links.url_repair import UrlRepair, repair_url

__all__ = [
    "LinkContext",
    "LinkResult",
    "SiteLookup",
    "SiteMap",
    "UrlRepair",
    "build_site_map",
    "display_path",
    "is_site_asset",
    "repair_url",
    "rewrite_links",
    "slugify",
]
