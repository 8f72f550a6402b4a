"""Parse uploaded BPMN/DMN XML without XXE, entity bombs or network access.

SpiffWorkflow's ``add_bpmn_str``/``add_bpmn_file``/``add_dmn_str``/``add_dmn_file`` parse with
lxml's default parser, which resolves entities: an uploaded model could read local files into
task names (XXE) or expand a "billion laughs" entity bomb. Parse with ``parse_xml`` instead and
hand the result to SpiffWorkflow's lxml entry points:

- BPMN: ``parser.add_bpmn_xml(tree, filename)``: it accepts the tree itself (it only runs
  XPath over it and takes ``getroot()`` when present).
- DMN: ``parser.add_dmn_xml(tree.getroot(), filename)``: it needs the root **element**, because
  it reads ``node.nsmap``.

BPMN and DMN never need a DOCTYPE, so any DOCTYPE is refused (which covers internal and
parameter entities and external DTDs). The parser also never resolves entities, loads DTDs or
touches the network, and keeps libxml2's size limits (``huge_tree=False``), so the refusal does
not depend on a single check. Elements keep their ``sourceline`` for error reports.
"""

from __future__ import annotations

from lxml import etree

# "<!DOCTYPE" and a newline as they appear in the bytes of the usual upload encodings.
_DOCTYPE_MARKERS = tuple(
    ("<!DOCTYPE".encode(encoding), "\n".encode(encoding))
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


class XmlProblem(Exception):
    """An uploaded XML file was refused; ``file``/``line``/``message`` feed the model report."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{file}:{line or '?'}: {message}")
        self.file = file
        self.line = line
        self.message = message


class UnsafeXmlError(XmlProblem):
    """The file has a DOCTYPE: entity declarations or an external DTD could be abused."""


class XmlSyntaxError(XmlProblem):
    """The file is not well-formed XML."""


def parse_xml(content: bytes, filename: str) -> etree._ElementTree:
    """Parse one uploaded BPMN/DMN file; raise ``XmlProblem`` subclasses with a line number."""
    # Refuse before parsing, so the answer and its line never depend on how libxml2 treats the
    # DTD; rarer encodings (UTF-32...) hide the marker and are caught by the docinfo check below.
    for marker, newline in _DOCTYPE_MARKERS:
        position = content.find(marker)
        if position >= 0:
            raise _doctype_refused(filename, content.count(newline, 0, position) + 1)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        tree = etree.fromstring(content, parser).getroottree()
    except etree.XMLSyntaxError as error:
        raise XmlSyntaxError(
            filename, error.lineno, f"XML 格式错误 (malformed XML): {error.msg}"
        ) from error
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise _doctype_refused(filename, None)
    return tree


def _doctype_refused(filename: str, line: int | None) -> UnsafeXmlError:
    return UnsafeXmlError(
        filename,
        line,
        "BPMN/DMN 文件不允许包含 DOCTYPE（实体声明或外部 DTD 可被利用）"
        " (DOCTYPE is not allowed: entity declarations and external DTDs can be abused)",
    )
