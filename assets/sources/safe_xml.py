"""XML parsed with every door closed, for every source that reads XML (Apple exports, TCX)."""

from lxml import etree


def safe_parser() -> etree.XMLParser:
    """lxml with every door closed: no entity resolution, no DTD loading, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
