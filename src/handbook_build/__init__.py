"""handbook-build: release editions of a Markdown handbook (manuscript, PDF, EPUB 3, print PDF)."""

__version__ = "0.1.0"
