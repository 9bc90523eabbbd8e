"""Image rewriting (source-normalizing stage; reads only file headers): takes one chapter's
Markdown and its context, gives the Markdown with every image pointing at a local file or a
placeholder, the image assets, and what was found.

Every image the book shows must be a local file under the book's allowed roots: renderers never
touch the network. ``ImageResolver`` maps an image reference to such a file:

* relative paths are resolved against the chapter's folder, then confined (``resolve()``, so a
  symlink pointing out of the roots is refused);
* remote URLs (including the old site's ``/wp-content/uploads/...``) are matched by *file name*
  to local copies in the image folders, tolerating case, URL-encoding, an interchangeable
  extension (.jpg/.jpeg/.png/.gif/.svg) and WordPress's ``-300x217`` size and ``-e1352754548930``
  edit suffixes (and Drupal's ``.img_assist_custom-800x694``), in both directions;
* the content decides the media type (magic bytes), so an empty or mislabelled file is refused.

``rewrite_images`` then rewrites ``![alt](src)`` and raw ``<img src>`` so that ``src`` is the
path relative to the output folder, or replaces the image with a placeholder span, and turns
WordPress ``[caption]...[/caption]`` shortcodes into Markdown figures.

Modules, one job each: media_type.py (magic bytes), name_index.py (tolerant name matching),
resolver.py (ImageResolver), placeholders.py, walk.py (one rewrite's state; a src made an
asset), captions.py ([caption] shortcodes), rewrite.py (rewrite_images).
"""

from __future__ import annotations

from handbook_build.sources.images.media_type import sniff_media_type
from handbook_build.sources.images.placeholders import escape_markdown, placeholder
from handbook_build.sources.images.resolver import ImageResolution, ImageResolver
from handbook_build.sources.images.rewrite import ImageResult, rewrite_images
from handbook_build.sources.images.walk import ImageContext

__all__ = [
    "ImageContext",
    "ImageResolution",
    "ImageResolver",
    "ImageResult",
    "escape_markdown",
    "placeholder",
    "rewrite_images",
    "sniff_media_type",
]
