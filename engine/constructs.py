"""Which BPMN constructs the engine runs, and the refusal of every other one at deploy.

SpiffWorkflow 3.2.0 parses more of BPMN than it runs correctly through our runtime (restored
from the database in another process, driven by the clerks' completions and the timer
scheduler). Each construct below was run that way; what failed is refused here, located and in
Chinese, so that a model never deploys to stall, finish early or crash at run time:

- complex gateways, compensation and ad-hoc subprocesses: not implemented (parse error, crash);
- transactions and cancel events: run as plain subprocesses, without the compensation a
  transaction promises;
- service tasks: no connectors exist here (and SpiffWorkflow's ``call_service`` is broken);
- conditional events: the condition is checked once, when the event is reached, and never
  again — the case waits forever;
- link events: the catching side is never reached;
- data stores (no implementation) and data associations (a documentary data object breaks the
  task that "writes" it at run time);
- timer, signal and conditional start events of a process: nothing starts a case but intake, so
  the case would wait at its start;
- event subprocesses started by a timer, an error, an escalation or a signal: an error or
  escalation one starts even when the main flow ends normally, a timer one keeps the case from
  ever finishing;
- several none start events in one scope: only the first runs;
- a signal nobody in the model throws: nothing outside the case can send one; a signal end
  event: its signal never reaches the events of the case that wait for it;
- error and escalation boundary events on anything but a subprocess: nothing can throw them;
- expressions in another language than Python (XPath, FEEL, JavaScript…), declared on the
  definitions or on the expression itself.

Manual and plain tasks run as steps a person of the lane's department confirms (as SpiffArena
runs them); a Camunda model, where they pass through, gets a note saying so (``notes``).
Messages, receive tasks, event-based gateways, call activities and loops are judged by their
own modules and are not named here.
"""

from __future__ import annotations

from lxml import etree

from .camunda import BPMN_NS, NS, declares_camunda, label, owner
from .messages import Message, msg

# tFormalExpression elements that inherit the definitions' expressionLanguage.
EXPRESSIONS = (
    "conditionExpression",
    "completionCondition",
    "loopCardinality",
    "loopCondition",
    "timeDuration",
    "timeDate",
    "timeCycle",
    "condition",
)

_REFUSED_ELEMENTS: dict[str, Message] = {
    "complexGateway": msg("复杂网关（complexGateway）不受支持：请改用排他、并行或包容网关"),
    "serviceTask": msg(
        "服务任务（serviceTask）不受支持：本系统没有服务连接器；"
        "请用脚本任务（Python）计算数据，或用用户任务由人办理"
    ),
    "adHocSubProcess": msg("自由子流程（adHocSubProcess）不受支持：请用普通子流程和网关建模"),
    "transaction": msg(
        "事务子流程（transaction）不受支持（引擎不支持补偿和取消）：请改用普通子流程"
    ),
    "dataStoreReference": msg("数据存储（dataStoreReference）不受支持：办件数据保存在办件中"),
    "dataStore": msg("数据存储（dataStore）不受支持：办件数据保存在办件中"),
    "dataInputAssociation": msg(
        "数据关联（dataInputAssociation）不受支持：办件数据就是表单字段和脚本变量，"
        "请删除关联（数据对象本身可以作为说明保留）"
    ),
    "dataOutputAssociation": msg(
        "数据关联（dataOutputAssociation）不受支持：办件数据就是表单字段和脚本变量，"
        "请删除关联（数据对象本身可以作为说明保留）"
    ),
}
_REFUSED_DEFINITIONS: dict[str, Message] = {
    "compensateEventDefinition": msg(
        "补偿事件（compensateEventDefinition）不受支持：请用退回或显式的撤销步骤建模"
    ),
    "cancelEventDefinition": msg(
        "取消事件（cancelEventDefinition）不受支持：事务子流程不受支持，请改用错误事件"
    ),
    "conditionalEventDefinition": msg(
        "条件事件（conditionalEventDefinition）不受支持：引擎只在到达时检查一次条件，"
        "之后不会再检查；请改用网关或定时器"
    ),
    "linkEventDefinition": msg("链接事件（linkEventDefinition）不受支持：请直接用顺序流连接"),
}
# Start events the engine cannot run (message start events are engine/waits.py's).
_START_TRIGGERS = {
    "timerEventDefinition": "定时器",
    "signalEventDefinition": "信号",
    "errorEventDefinition": "错误",
    "escalationEventDefinition": "升级",
}
_PASS_THROUGH = {"manualTask": "手工任务（manualTask）", "task": "无类型任务（task）"}
_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS


def is_python(language: str | None) -> bool:
    """No language declared, or Python under any of its usual names or URIs."""
    value = (language or "").strip().lower()
    return value in ("", "py", "python3") or "python" in value


def language_name(language: str) -> str:
    """``XPath（http://www.w3.org/1999/XPath）``: the name a designer knows, then the value."""
    value = language.strip()
    lowered = value.lower()
    for known in ("XPath", "FEEL", "JUEL", "JavaScript", "Groovy"):
        if known.lower() in lowered and value != known:
            return f"{known}（{value}）"
    return value


def expression_language(element: etree._Element) -> str | None:
    """The language an expression element is written in: its own ``language``, else the
    definitions' ``expressionLanguage`` (None: Python by default)."""
    own = element.get("language")
    if own is not None:
        return own
    return element.getroottree().getroot().get("expressionLanguage")


def executable_processes(root: etree._Element) -> list[etree._Element]:
    """The processes of a file that run: one marked ``isExecutable="false"`` is documentation
    (another party's pool, say), and nothing in it is judged."""
    return [p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable") != "false"]


def refusals(root: etree._Element) -> list[tuple[etree._Element, Message]]:
    """``(element, message)`` for every construct of the file the engine cannot run."""
    found: list[tuple[etree._Element, Message]] = []
    processes = executable_processes(root)
    for process in processes:
        for element in process.iter(f"{{{BPMN_NS}}}*"):
            found += _element_refusals(process, element)
        found += _signal_refusals(process)
    found += _language_refusals(root, processes)
    return found


def _element_refusals(
    process: etree._Element, element: etree._Element
) -> list[tuple[etree._Element, Message]]:
    kind = _local(element)
    found: list[tuple[etree._Element, Message]] = []
    if kind in _REFUSED_ELEMENTS:
        # a data association belongs to its activity, whatever id of its own it has
        target = element.getparent() if kind.endswith("Association") else element
        found.append((owner(target), _at(target, _REFUSED_ELEMENTS[kind])))
    elif kind in _REFUSED_DEFINITIONS:
        found.append((owner(element), _at(element, _REFUSED_DEFINITIONS[kind])))
    elif element.get("isForCompensation") == "true":
        found.append((element, _at(element, _REFUSED_DEFINITIONS["compensateEventDefinition"])))
    elif kind == "startEvent":
        found += _start_event_refusals(element)
    elif kind == "boundaryEvent":
        found += _boundary_refusals(process, element)
    elif kind == "scriptTask" and not (element.findtext("bpmn:script", "", NS)).strip():
        found.append((element, msg("脚本任务 %(element)s 没有脚本", element=label(element))))
    if kind in _SCOPES:
        found += _scope_refusals(element)
    return found


def notes(root: etree._Element) -> list[tuple[etree._Element, Message]]:
    """What a Camunda model should know: its manual and plain tasks wait for a person here
    (as in SpiffWorkflow and SpiffArena), where Camunda passes through them."""
    if not declares_camunda(root):
        return []
    return [
        (
            element,
            msg(
                "%(element)s 是%(kind)s：Camunda 会直接通过它，本系统中它是由所在泳道的部门"
                "确认办理的步骤（可以没有表单）",
                element=label(element),
                kind=msg(_PASS_THROUGH[_local(element)]),
            ),
        )
        for process in executable_processes(root)
        for element in process.iter(f"{{{BPMN_NS}}}*")
        if _local(element) in _PASS_THROUGH
    ]


def _at(element: etree._Element, what: Message) -> Message:
    return msg("%(element)s：%(what)s", element=label(owner(element)), what=what)


def _start_event_refusals(event: etree._Element) -> list[tuple[etree._Element, Message]]:
    scope = event.getparent()
    triggers = [_START_TRIGGERS[k] for k in map(_local, event) if k in _START_TRIGGERS]
    if not triggers:
        return []
    if scope is not None and scope.get("triggeredByEvent") == "true":
        return [
            (
                scope,
                msg(
                    "事件子流程 %(scope)s（由%(trigger)s触发）不受支持：引擎不能正确运行它"
                    "（主流程正常办结时也会启动错误或升级处理，定时器会让办件无法办结）；"
                    "请改用任务或子流程上的边界事件",
                    scope=label(scope),
                    trigger=msg(triggers[0]),
                ),
            )
        ]
    return [
        (
            event,
            msg(
                "%(element)s 是%(trigger)s开始事件，不受支持：办件只能由窗口受理发起；"
                "需要定时或由信号触发的处理请用任务或子流程上的边界事件",
                element=label(event),
                trigger=msg(triggers[0]),
            ),
        )
    ]


def _boundary_refusals(
    process: etree._Element, event: etree._Element
) -> list[tuple[etree._Element, Message]]:
    kinds = [_local(child) for child in event]
    if not {"errorEventDefinition", "escalationEventDefinition"} & set(kinds):
        return []
    attached = process.xpath(".//*[@id=$id]", id=event.get("attachedToRef") or "")
    if attached and _local(attached[0]) in ("subProcess", "callActivity"):
        return []
    what = label(attached[0]) if attached else event.get("attachedToRef") or ""
    return [
        (
            event,
            msg(
                "%(element)s 是错误或升级边界事件，但附着在 %(activity)s 上：只有子流程或"
                "调用活动内部的结束事件会抛出错误或升级，它永远不会触发",
                element=label(event),
                activity=what,
            ),
        )
    ]


def _scope_refusals(scope: etree._Element) -> list[tuple[etree._Element, Message]]:
    """Start and end events a process or subprocess needs to run."""
    starts = [c for c in scope if _local(c) == "startEvent" and _bpmn(c)]
    none_starts = [s for s in starts if not any(_local(c).endswith("EventDefinition") for c in s)]
    found: list[tuple[etree._Element, Message]] = []
    if len(none_starts) > 1:
        found.append(
            (
                none_starts[1],
                msg(
                    "%(scope)s 有 %(count)s 个空开始事件（%(events)s）：引擎只会运行其中一个，"
                    "请只保留一个开始事件",
                    scope=label(scope),
                    count=len(none_starts),
                    events="、".join(label(s) for s in none_starts),
                ),
            )
        )
    if not starts:
        found.append((scope, msg("%(scope)s 没有开始事件", scope=label(scope))))
    if _local(scope) != "process" and not any(_local(c) == "endEvent" for c in scope):
        found.append((scope, msg("子流程 %(scope)s 没有结束事件", scope=label(scope))))
    return found


def _signal_refusals(process: etree._Element) -> list[tuple[etree._Element, Message]]:
    """A signal someone waits for must be thrown inside the process: nothing sends one from
    outside the case."""
    thrown, waiting = set(), []
    found = []
    for definition in process.iter(f"{{{BPMN_NS}}}signalEventDefinition"):
        event = definition.getparent()
        if _local(event) == "intermediateThrowEvent":
            thrown.add(definition.get("signalRef"))
        elif _local(event) == "endEvent":
            found.append(
                (
                    event,
                    msg(
                        "%(element)s 是信号结束事件，不受支持：引擎不会把它的信号送到本办件中等待的"
                        "事件；请用信号中间抛出事件，再接结束事件",
                        element=label(event),
                    ),
                )
            )
        else:
            waiting.append((event, definition.get("signalRef")))
    root = process.getroottree().getroot()
    names = {s.get("id"): s.get("name") or s.get("id") for s in root.iter(f"{{{BPMN_NS}}}signal")}
    for event, ref in waiting:
        if not ref:
            found.append(
                (event, msg("%(element)s 没有指定信号（signalRef）", element=label(event)))
            )
        elif ref not in thrown:
            found.append(
                (
                    event,
                    msg(
                        "%(element)s 等待信号“%(signal)s”，但模型中没有任何元素抛出它："
                        "本系统不接收外部信号，办件会一直等待",
                        element=label(event),
                        signal=names.get(ref, ref),
                    ),
                )
            )
    return found


def _language_refusals(
    root: etree._Element, processes: list[etree._Element]
) -> list[tuple[etree._Element, Message]]:
    found: list[tuple[etree._Element, Message]] = []
    declared = root.get("expressionLanguage")
    inherits = False
    for element in (e for p in processes for e in p.iter(f"{{{BPMN_NS}}}*")):
        kind = _local(element)
        if kind == "scriptTask" and not is_python(element.get("scriptFormat")):
            found.append(
                (
                    element,
                    msg(
                        "%(element)s 的脚本语言 %(language)s 不受支持：只运行 Python 脚本",
                        element=label(element),
                        language=language_name(element.get("scriptFormat") or ""),
                    ),
                )
            )
        if kind not in EXPRESSIONS or not (element.text or "").strip():
            continue
        if element.get("language") is None:
            inherits = True
        elif not is_python(element.get("language")):
            found.append(
                (
                    owner(element),
                    msg(
                        "%(element)s 的表达式语言 %(language)s 不受支持，"
                        "请用 Python 表达式（例如 approved == True）",
                        element=label(owner(element)),
                        language=language_name(element.get("language") or ""),
                    ),
                )
            )
    if declared is not None and not is_python(declared) and inherits:
        found.append(
            (
                root,
                msg(
                    "模型声明的表达式语言 %(language)s（definitions 的 expressionLanguage）"
                    "不受支持，请用 Python 表达式（例如 approved == True）：删除该声明，"
                    "并把条件、定时器等表达式写成 Python",
                    language=language_name(declared),
                ),
            )
        )
    return found
