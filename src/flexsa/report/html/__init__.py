"""Self-contained HTML report pages (one shared builder, one page per reproduction)."""

from flexsa.report.html.page import Figure, Page, Section, Table, render_page, write_page

__all__ = ["Figure", "Page", "Section", "Table", "render_page", "write_page"]
