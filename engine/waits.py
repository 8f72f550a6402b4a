"""Deploy checks for the waits a case must be able to end: BPMN messages and call activities.

What runs (engine/runtime/, engine/services/messages.py and deployed.py):

* catching messages (消息): a receive task, an intermediate message catch event, a message
  boundary event (interrupting or not), an event-based gateway whose branches are message catch
  events, receive tasks and at most one timer, and a message start event of a process — the
  only start event of its process. Other systems deliver them through
  ``POST /api/v1/messages/{name}``; each message names a ``bpmn:message`` with a name;
* call activities whose ``calledElement`` is a process of the model's own files or the main
  process of exactly one other deployed model (its version in force when the call starts).

What is refused here, located: throwing messages (intermediate throw and end events, send
tasks), message start events inside subprocesses or beside other start events, other catch
events behind an event-based gateway, message events without a named message, correlation
properties whose retrieval expression does not compile, and calls that resolve to nothing,
to several models, or to a pinned Camunda version binding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from lxml import etree

from .camunda import BPMN_NS, CAMUNDA_NS, NS, label
from .messages import Message, msg
from .sandbox import SandboxError, compile_expression

MAX_MESSAGE_NAME = 128  # message_wait.name
API_HINT = msg("其他系统通过 POST /api/v1/messages/{name} 投递消息")

Problem = tuple[str, int | None, str | None, Message]


def problems(
    bpmn_trees: Iterable[tuple[str, etree._ElementTree]],
    deployed: Mapping[str, Sequence[str]] | None = None,
) -> list[Problem]:
    """Every message and call activity problem of a model's BPMN files (name, parsed tree).

    ``deployed`` maps the main process id of each deployed model to the keys providing it.
    """
    bpmn = {name: tree.getroot() for name, tree in bpmn_trees}
    own = {p.get("id") for root in bpmn.values() for p in root.iterfind("bpmn:process", NS)}
    found: list[Problem] = []
    for name, root in bpmn.items():
        checks = _Checks(name, root)
        checks.messages()
        checks.correlations()
        checks.start_events()
        checks.event_gateways()
        checks.calls(own, deployed or {})
        found += checks.found
    return found


class _Checks:
    def __init__(self, file: str, root: etree._Element):
        self.file, self.root = file, root
        self.found: list[Problem] = []
        self.messages_by_id = {m.get("id"): m for m in root.iterfind("bpmn:message", NS)}

    def add(self, element: etree._Element, message: Message) -> None:
        self.found.append((self.file, element.sourceline, element.get("id"), message))

    def messages(self) -> None:
        for definition in self.root.iter(f"{{{BPMN_NS}}}messageEventDefinition"):
            event = definition.getparent()
            kind = etree.QName(event).localname
            if kind in ("intermediateThrowEvent", "endEvent"):
                self.add(
                    event,
                    msg(
                        "%(element)s 发送消息（消息抛出事件），暂不支持；%(hint)s",
                        element=label(event),
                        hint=API_HINT,
                    ),
                )
                continue
            self._named_message(event, definition.get("messageRef"))
        for task in self.root.iter(f"{{{BPMN_NS}}}sendTask"):
            self.add(
                task,
                msg(
                    "%(element)s 是发送任务，暂不支持；%(hint)s", element=label(task), hint=API_HINT
                ),
            )
        for task in self.root.iter(f"{{{BPMN_NS}}}receiveTask"):
            self._named_message(task, task.get("messageRef"))

    def _named_message(self, event: etree._Element, ref: str | None) -> None:
        message = self.messages_by_id.get(ref or "")
        name = (message.get("name") or "").strip() if message is not None else ""
        if not name:
            self.add(
                event,
                msg(
                    "%(element)s 没有引用带名称的消息（messageRef 指向的 bpmn:message 须有 name），"
                    "外部系统无法投递",
                    element=label(event),
                ),
            )
        elif len(name) > MAX_MESSAGE_NAME:
            self.add(
                event,
                msg(
                    "%(element)s 的消息名称超过 %(limit)s 个字符",
                    element=label(event),
                    limit=MAX_MESSAGE_NAME,
                ),
            )

    def correlations(self) -> None:
        for prop in self.root.iter(f"{{{BPMN_NS}}}correlationProperty"):
            for expression in prop.iter(
                f"{{{BPMN_NS}}}formalExpression", f"{{{BPMN_NS}}}messagePath"
            ):
                try:
                    compile_expression((expression.text or "").strip(), "eval")
                except SandboxError as error:
                    self.add(
                        prop,
                        msg(
                            "关联属性 %(element)s 的取值表达式无法编译：%(detail)s",
                            element=label(prop),
                            detail=error.message,
                        ),
                    )

    def start_events(self) -> None:
        for event in self.root.iter(f"{{{BPMN_NS}}}startEvent"):
            if event.find("bpmn:messageEventDefinition", NS) is None:
                continue
            container = event.getparent()
            if etree.QName(container).localname != "process":
                self.add(
                    event,
                    msg(
                        "%(element)s 是子流程中的消息启动事件，暂不支持：消息只能启动主流程",
                        element=label(event),
                    ),
                )
                continue
            starts = container.findall("bpmn:startEvent", NS)
            if len(starts) > 1:
                self.add(
                    event,
                    msg(
                        "%(element)s 是消息启动事件，但流程另有 %(count)s 个启动事件：以消息启动的"
                        "流程只能有这一个启动事件，否则未触发的启动事件会一直等待",
                        element=label(event),
                        count=len(starts) - 1,
                    ),
                )

    def event_gateways(self) -> None:
        by_id = {e.get("id"): e for e in self.root.iter() if isinstance(e.tag, str)}
        flows = list(self.root.iter(f"{{{BPMN_NS}}}sequenceFlow"))
        for gateway in self.root.iter(f"{{{BPMN_NS}}}eventBasedGateway"):
            targets = [
                by_id.get(f.get("targetRef"))
                for f in flows
                if f.get("sourceRef") == gateway.get("id")
            ]
            timers = 0
            for target in (t for t in targets if t is not None):
                kind = etree.QName(target).localname
                if kind == "receiveTask":
                    continue
                events = [
                    etree.QName(d).localname
                    for d in target
                    if isinstance(d.tag, str) and etree.QName(d).localname.endswith("Definition")
                ]
                if kind == "intermediateCatchEvent" and events == ["timerEventDefinition"]:
                    timers += 1
                    continue
                if kind == "intermediateCatchEvent" and events == ["messageEventDefinition"]:
                    continue
                self.add(
                    target,
                    msg(
                        "事件网关 %(gateway)s 的分支 %(element)s 不是消息或定时器捕获事件（或接收"
                        "任务），暂不支持：它等待的事件无法送达",
                        gateway=label(gateway),
                        element=label(target),
                    ),
                )
            if timers > 1:
                self.add(
                    gateway,
                    msg(
                        "事件网关 %(element)s 有 %(count)s 个定时器分支，最多支持一个",
                        element=label(gateway),
                        count=timers,
                    ),
                )

    def calls(self, own: set[str | None], deployed: Mapping[str, Sequence[str]]) -> None:
        for call in self.root.iter(f"{{{BPMN_NS}}}callActivity"):
            called = (call.get("calledElement") or "").strip()
            binding = call.get(f"{{{CAMUNDA_NS}}}calledElementBinding", "latest")
            if binding != "latest" or call.get(f"{{{CAMUNDA_NS}}}calledElementVersionTag"):
                self.add(
                    call,
                    msg(
                        "%(element)s 指定了被调用流程的版本（camunda:calledElementBinding = "
                        "%(binding)s），不受支持：调用时使用被调用模型当时生效的最新版本",
                        element=label(call),
                        binding=binding,
                    ),
                )
            if not called:
                self.add(
                    call,
                    msg("%(element)s 没有指定被调用的流程（calledElement）", element=label(call)),
                )
            elif called in own:
                continue
            elif len(deployed.get(called, ())) > 1:
                self.add(
                    call,
                    msg(
                        "%(element)s 调用的流程 %(process)s 由多个已部署模型提供（%(keys)s），"
                        "无法确定调用哪一个",
                        element=label(call),
                        process=called,
                        keys="、".join(deployed[called]),
                    ),
                )
            elif called not in deployed:
                self.add(
                    call,
                    msg(
                        "%(element)s 调用的流程 %(process)s 既不在本模型的文件中，也不是任何已部署"
                        "模型的主流程：请先部署被调用的模型，或改正 calledElement",
                        element=label(call),
                        process=called,
                    ),
                )
