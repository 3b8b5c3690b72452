"""The lake: resources, the parquet IO manager, figures, Markdown and HTML, lineage,
threaded maps; the bottom layer every stage may import, importing none of them."""
