"""Uploaded BPMN/DMN must never expand entities, read local files or reach the network."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.safexml import UnsafeXmlError, XmlProblem, XmlSyntaxError, parse_xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<definitions name="&lol9;">&lol9;</definitions>
"""

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="defs" targetNamespace="http://onewindow.example/test">
  <!-- comments stay: they do not move line numbers -->
  <bpmn:process id="apply" name="设立登记" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept" />
    <bpmn:userTask id="accept" name="窗口受理" />
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="fees" name="fees"
    namespace="http://onewindow.example/test">
  <decision id="fee" name="登记费">
    <decisionTable id="table">
      <input id="in_kind" label="kind">
        <inputExpression id="expr_kind" typeRef="string"><text>kind</text></inputExpression>
      </input>
      <output id="out_fee" name="fee" typeRef="number" />
      <rule id="r1">
        <inputEntry id="e1"><text>"company"</text></inputEntry>
        <outputEntry id="o1"><text>100</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A local file an XXE would try to read; its content must never show up."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-7f3a")
    return path


def assert_refused(content: bytes, kind: type[XmlProblem] = UnsafeXmlError) -> XmlProblem:
    started = time.monotonic()
    with pytest.raises(kind) as info:
        parse_xml(content, "upload.bpmn")
    assert time.monotonic() - started < 0.5
    assert info.value.file == "upload.bpmn"
    return info.value


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_billion_laughs_refused_fast_and_small() -> None:
    before = peak_rss_kib()
    problem = assert_refused(BILLION_LAUGHS.encode())
    assert problem.line == 2
    assert "DOCTYPE" in problem.message
    assert peak_rss_kib() - before < 50_000  # an expansion would take gigabytes


def declare(xml: str, encoding: str) -> bytes:
    return xml.replace('"1.0"?>', f'"1.0" encoding="{encoding.upper()}"?>', 1).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_billion_laughs_in_other_encodings_refused_without_expansion(encoding: str) -> None:
    # UTF-32 hides "<!DOCTYPE" from the byte search: then the parser settings (and libxml2's
    # amplification limit) must hold on their own.
    before = peak_rss_kib()
    assert_refused(declare(BILLION_LAUGHS, encoding), XmlProblem)
    assert peak_rss_kib() - before < 50_000


@pytest.mark.parametrize(("encoding", "line"), [("utf-8", 2), ("utf-16", 2), ("utf-32", None)])
def test_external_entity_refused_and_never_read(
    secret_file: Path, encoding: str, line: int | None
) -> None:
    xml = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
        "<definitions><process id='p' name='x'>&xxe;</process></definitions>"
    )
    problem = assert_refused(declare(xml, encoding))
    assert problem.line == line
    assert "TOP-SECRET" not in str(problem)


def test_external_entity_in_attribute_refused(secret_file: Path) -> None:
    xml = (
        f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
        '<definitions><process id="p" name="&xxe;" /></definitions>'
    )
    problem = assert_refused(xml.encode())
    assert problem.line == 1
    assert "TOP-SECRET" not in str(problem)


def test_external_dtd_refused_without_network() -> None:
    # Port 9 (discard) on localhost: a fetch would hang or fail slowly, not in 0.5 s.
    xml = '<?xml version="1.0"?>\n<!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/x.dtd">\n<d/>'
    assert assert_refused(xml.encode()).line == 2


def test_parameter_entities_refused(secret_file: Path) -> None:
    xml = (
        "<?xml version='1.0'?>\n<!DOCTYPE d [\n"
        f'  <!ENTITY % remote SYSTEM "file://{secret_file}">\n'
        "  %remote;\n]>\n<d/>"
    )
    problem = assert_refused(xml.encode())
    assert "TOP-SECRET" not in str(problem)


def test_undeclared_entity_is_a_syntax_error() -> None:
    problem = assert_refused(b"<d>\n<p>&xxe;</p>\n</d>", XmlSyntaxError)
    assert problem.line == 2


def test_malformed_xml_reports_its_line() -> None:
    problem = assert_refused(b'<?xml version="1.0"?>\n<a>\n  <b>\n  </c>\n</a>', XmlSyntaxError)
    assert problem.line == 4
    assert "mismatch" in problem.message
    assert str(problem).startswith("upload.bpmn:4: ")


def test_normal_bpmn_parses_and_spiffworkflow_accepts_the_tree() -> None:
    tree = parse_xml(BPMN.encode(), "apply.bpmn")
    accept = tree.getroot().find(".//{*}userTask")
    assert accept is not None and accept.sourceline == 8
    assert tree.getroot()[0].tag.__name__ == "Comment"  # type: ignore[attr-defined]

    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(tree, "apply.bpmn")
    spec = parser.get_spec("apply")
    assert spec.task_specs["accept"].bpmn_name == "窗口受理"
    assert spec.file == "apply.bpmn"


def test_normal_dmn_parses_and_spiffworkflow_accepts_the_root() -> None:
    parser = SpiffBpmnParser()
    parser.add_dmn_xml(parse_xml(DMN.encode(), "fees.dmn").getroot(), "fees.dmn")
    assert "fee" in parser.dmn_parsers
