"""Model validation messages in the reader's language (web/i18n.py picks it).

The engine reports every problem and note of a model in Chinese, with the message id (the
Chinese template) and its values beside it (engine/messages.py). ``localize_report`` renders
them in the request's language and keeps only what the API documents (file, line, element,
message, level). The English of those templates lives here rather than in i18n.py's catalog,
which holds the pages' own texts; ``gettext`` falls back to Chinese for a missing entry, and
so does this module.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ModelInvalid, format_problem

from .i18n import current_language

_AS_DOCUMENTED = ("file", "line", "element_id", "message", "level")

EN: dict[str, str] = {
    # files and XML
    "XML 格式错误：%(detail)s": "Malformed XML: %(detail)s",
    "BPMN/DMN 文件不允许包含 DOCTYPE（实体声明或外部 DTD 可被利用）": (
        "BPMN/DMN files may not contain a DOCTYPE (entity declarations and external DTDs can be"
        " abused)"
    ),
    "模型中没有 BPMN 文件（.bpmn 或 .bpmn20.xml）": (
        "The model has no BPMN file (.bpmn or .bpmn20.xml)"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 不能出现在这里（此处可以是：%(expected)s）": (
        "Not valid %(standard)s (XSD): %(element)s is not allowed here (expected: %(expected)s)"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 不能出现在这里": (
        "Not valid %(standard)s (XSD): %(element)s is not allowed here"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 缺少子元素（应有：%(expected)s）": (
        "Not valid %(standard)s (XSD): %(element)s lacks child elements (expected: %(expected)s)"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 不允许有属性 %(expected)s": (
        "Not valid %(standard)s (XSD): %(element)s may not have the attribute %(expected)s"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 缺少必需的属性 %(expected)s": (
        "Not valid %(standard)s (XSD): %(element)s lacks the required attribute %(expected)s"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 的值“%(expected)s”不合法（应为 %(type)s）": (
        "Not valid %(standard)s (XSD): the value “%(expected)s” of %(element)s is not valid"
        " (expected %(type)s)"
    ),
    "不符合 %(standard)s 规范（XSD）：%(element)s 中不能直接写文字": (
        "Not valid %(standard)s (XSD): %(element)s may not contain text"
    ),
    "不符合 %(standard)s 规范（XSD）：%(detail)s": "Not valid %(standard)s (XSD): %(detail)s",
    "不符合 %(standard)s 规范（XSD）：%(element)s：%(detail)s": (
        "Not valid %(standard)s (XSD): %(element)s: %(detail)s"
    ),
    "%(element)s 的属性 %(attribute)s": "the attribute %(attribute)s of %(element)s",
    # the engine's own parse
    "%(element)s：引擎不支持此类元素": "%(element)s: the engine does not support this element",
    "%(element)s：流程 id %(value)s 重复": "%(element)s: the process id %(value)s is used twice",
    "%(element)s：流程没有开始事件": "%(element)s: the process has no start event",
    "%(element)s：子流程应恰好有一个开始事件，实际有 %(value)s 个": (
        "%(element)s: a subprocess needs exactly one start event, it has %(value)s"
    ),
    "%(element)s：子流程没有结束事件": "%(element)s: the subprocess has no end event",
    "%(element)s：%(value)s 定义缺少 id": "%(element)s: a %(value)s definition has no id",
    "%(element)s：流程 %(value)s 标记为不可执行": (
        "%(element)s: the process %(value)s is marked not executable"
    ),
    "%(element)s：定时器表达式不合法": "%(element)s: the timer expression is not valid",
    "流程引擎无法解析 %(element)s：%(detail)s": (
        "The process engine cannot read %(element)s: %(detail)s"
    ),
    # processes
    '模型中的流程都标记为不可执行（isExecutable="false"）：%(processes)s。'
    "请在建模器中把主流程设为可执行（Executable）后再部署": (
        'Every process of the model is marked not executable (isExecutable="false"):'
        " %(processes)s. Mark the main process as executable in the modeler, then deploy again"
    ),
    "模型应恰好有一个可执行的主流程，实际找到 %(count)s 个%(processes)s": (
        "The model needs exactly one executable main process; found %(count)s%(processes)s"
    ),
    # lint
    "顺序流缺少 id（%(source)s → %(target)s），引擎会静默丢弃它": (
        "A sequence flow has no id (%(source)s → %(target)s): the engine would silently drop it"
    ),
    "泳道“%(lane)s”没有对应的部门（按部门名称或代码匹配）": (
        "The lane “%(lane)s” matches no department (by department name or code)"
    ),
    "用户任务%(task)s 同时有 camunda:formData 和 JSON Schema 表单（formJsonSchemaFilename），"
    "请只保留一个": (
        "The user task %(task)s has both camunda:formData and a JSON Schema form"
        " (formJsonSchemaFilename): keep only one"
    ),
    "用户任务%(task)s 没有表单：请设置表单"
    "（formJsonSchemaFilename）或声明无需表单（属性 form = none）": (
        "The user task %(task)s has no form: set one (formJsonSchemaFilename) or declare that it"
        " needs none (property form = none)"
    ),
    "用户任务%(task)s：%(problem)s": "User task %(task)s: %(problem)s",
    "用户任务%(task)s 的 camunda:formData 尚未生成为表单文件 %(form)s（或该文件已过期）："
    "请通过流程设计部署，部署时会自动生成": (
        "The camunda:formData of the user task %(task)s has not been generated into the form"
        " file %(form)s (or the file is out of date): deploy through the process designer,"
        " which generates it"
    ),
    "表单文件“%(form)s”不存在": "The form file “%(form)s” does not exist",
    "表单不是合法的 JSON：%(detail)s": "The form is not valid JSON: %(detail)s",
    "表单不是合法的 JSON Schema：%(where)s: %(detail)s": (
        "The form is not a valid JSON Schema: %(where)s: %(detail)s"
    ),
    "用户任务%(task)s 的候选组指向部门 %(department)s，"
    "但它所在的泳道属于部门 %(lane_department)s": (
        "The candidate groups of the user task %(task)s name the department %(department)s,"
        " but its lane belongs to the department %(lane_department)s"
    ),
    "用户任务%(task)s 的候选组角色 %(role)s 与属性 role = %(declared)s 不一致": (
        "The candidate group role %(role)s of the user task %(task)s disagrees with its"
        " property role = %(declared)s"
    ),
    "候选组“%(group)s”中的部门“%(department)s”不存在": (
        "The department “%(department)s” of the candidate group “%(group)s” does not exist"
    ),
    "候选组“%(group)s”中的角色“%(role)s”不存在": (
        "The role “%(role)s” of the candidate group “%(group)s” does not exist"
    ),
    "候选组“%(group)s”既不是部门（名称或代码）也不是角色": (
        "The candidate group “%(group)s” is neither a department (name or code) nor a role"
    ),
    "候选组只能指向一个部门：%(departments)s": (
        "Candidate groups may name one department only: %(departments)s"
    ),
    "候选组只能指定一个角色：%(roles)s": "Candidate groups may name one role only: %(roles)s",
    "排他网关%(gateway)s 的默认流 %(default)s 不是它的出口顺序流": (
        "The default flow %(default)s of the exclusive gateway %(gateway)s is not one of its"
        " outgoing flows"
    ),
    "排他网关%(gateway)s 的出口 %(flow)s 既没有条件也不是默认流：请给它条件，或设为网关的默认流": (
        "The outgoing flow %(flow)s of the exclusive gateway %(gateway)s has no condition and"
        " is not the default: give it a condition or make it the gateway's default flow"
    ),
    "%(element)s 有 %(count)s 条输入顺序流（隐式汇合）：请用网关汇合": (
        "%(element)s has %(count)s incoming flows (an implicit merge): merge them with a gateway"
    ),
    "顺序流 %(flow)s 的条件表达式为空": "The condition of the sequence flow %(flow)s is empty",
    "条件表达式": "condition",
    "脚本": "script",
    "前置脚本": "pre-script",
    "后置脚本": "post-script",
    "多实例数量表达式": "multi-instance cardinality",
    "多实例完成条件": "multi-instance completion condition",
    "循环条件": "loop condition",
    "%(element)s 的%(what)s无法编译：%(detail)s": (
        "The %(what)s of %(element)s does not compile: %(detail)s"
    ),
    # timers
    "ISO 8601 时长": "ISO 8601 duration",
    "ISO 8601 日期时间": "ISO 8601 date-time",
    "%(element)s 是循环定时器（timeCycle），暂不支持：请改用时长或日期": (
        "%(element)s is a cycle timer (timeCycle), which is not supported: use a duration or a date"
    ),
    "%(element)s 的定时器没有表达式": "The timer of %(element)s has no expression",
    "%(element)s 的定时器 %(text)s 不是合法的 %(what)s": (
        "The timer %(text)s of %(element)s is not a valid %(what)s"
    ),
    "%(element)s 的定时器 %(text)s 是未加引号的 %(what)s，部署时规范化为 %(literal)s": (
        "The timer %(text)s of %(element)s is an unquoted %(what)s; deploy rewrites it as"
        " %(literal)s"
    ),
    "%(element)s 的定时器表达式 %(text)s 取决于办件数据（%(detail)s），部署时无法检查": (
        "The timer expression %(text)s of %(element)s depends on case data (%(detail)s) and"
        " cannot be checked at deploy"
    ),
    "%(element)s 的定时器表达式无法计算：%(detail)s": (
        "The timer expression of %(element)s cannot be evaluated: %(detail)s"
    ),
    "%(element)s 的定时器表达式计算出错：%(detail)s": (
        "The timer expression of %(element)s failed: %(detail)s"
    ),
    "%(element)s 的定时器结果 %(value)s 不是合法的 %(what)s（例如 %(example)s）": (
        "The timer of %(element)s gives %(value)s, which is not a valid %(what)s (for example"
        " %(example)s)"
    ),
    "%(element)s 的定时器改写为 %(literal)s（Camunda 风格的未加引号 ISO 8601 文字）": (
        "The timer of %(element)s was rewritten as %(literal)s (a Camunda-style unquoted ISO 8601"
        " literal)"
    ),
    "已根据 %(task)s 的 camunda:formData 生成表单 %(form)s": (
        "Generated the form %(form)s from the camunda:formData of %(task)s"
    ),
    # constructs the engine does not run (engine/constructs.py)
    "%(element)s：%(what)s": "%(element)s: %(what)s",
    "复杂网关（complexGateway）不受支持：请改用排他、并行或包容网关": (
        "Complex gateways (complexGateway) are not supported: use exclusive, parallel or"
        " inclusive gateways"
    ),
    "%(element)s 是%(kind)s：Camunda 会直接通过它，本系统中它是由所在泳道的部门"
    "确认办理的步骤（可以没有表单）": (
        "%(element)s is a %(kind)s: Camunda passes through it, here it is a step a person of its"
        " lane's department confirms (a form is optional)"
    ),
    "手工任务（manualTask）": "manual task (manualTask)",
    "无类型任务（task）": "plain task (task)",
    "人工步骤 %(task)s 不在任何泳道中，无法确定办理部门": (
        "The step %(task)s is in no lane: its department is unknown"
    ),
    "服务任务（serviceTask）不受支持：本系统没有服务连接器；请用脚本任务（Python）计算数据，"
    "或用用户任务由人办理": (
        "Service tasks (serviceTask) are not supported: there are no service connectors here;"
        " compute data in a script task (Python) or let a person do it in a user task"
    ),
    "自由子流程（adHocSubProcess）不受支持：请用普通子流程和网关建模": (
        "Ad-hoc subprocesses (adHocSubProcess) are not supported: model with a subprocess and"
        " gateways"
    ),
    "事务子流程（transaction）不受支持（引擎不支持补偿和取消）：请改用普通子流程": (
        "Transactions are not supported (the engine has no compensation or cancellation): use"
        " a plain subprocess"
    ),
    "数据存储（dataStoreReference）不受支持：办件数据保存在办件中": (
        "Data stores (dataStoreReference) are not supported: case data is kept in the case"
    ),
    "数据存储（dataStore）不受支持：办件数据保存在办件中": (
        "Data stores (dataStore) are not supported: case data is kept in the case"
    ),
    "数据关联（dataInputAssociation）不受支持：办件数据就是表单字段和脚本变量，"
    "请删除关联（数据对象本身可以作为说明保留）": (
        "Data associations (dataInputAssociation) are not supported: case data is the form"
        " fields and script variables; remove the association (the data object may stay as a"
        " note)"
    ),
    "数据关联（dataOutputAssociation）不受支持：办件数据就是表单字段和脚本变量，"
    "请删除关联（数据对象本身可以作为说明保留）": (
        "Data associations (dataOutputAssociation) are not supported: case data is the form"
        " fields and script variables; remove the association (the data object may stay as a"
        " note)"
    ),
    "补偿事件（compensateEventDefinition）不受支持：请用退回或显式的撤销步骤建模": (
        "Compensation (compensateEventDefinition) is not supported: model a return or an"
        " explicit undo step"
    ),
    "取消事件（cancelEventDefinition）不受支持：事务子流程不受支持，请改用错误事件": (
        "Cancel events (cancelEventDefinition) are not supported (transactions are not"
        " either): use an error event"
    ),
    "条件事件（conditionalEventDefinition）不受支持：引擎只在到达时检查一次条件，之后不会再检查；"
    "请改用网关或定时器": (
        "Conditional events (conditionalEventDefinition) are not supported: the engine checks"
        " the condition once, when the event is reached, and never again; use a gateway or a"
        " timer"
    ),
    "链接事件（linkEventDefinition）不受支持：请直接用顺序流连接": (
        "Link events (linkEventDefinition) are not supported: connect with a sequence flow"
    ),
    "定时器": "timer",
    "信号": "signal",
    "脚本任务 %(element)s 没有脚本": "The script task %(element)s has no script",
    "%(element)s 是%(trigger)s开始事件，不受支持：办件只能由窗口受理发起；"
    "需要定时或由信号触发的处理请用任务或子流程上的边界事件": (
        "%(element)s is a %(trigger)s start event, which is not supported: a case starts only"
        " at intake; for work started by a timer or a signal use a boundary event on a task or"
        " subprocess"
    ),
    "事件子流程 %(scope)s（由%(trigger)s触发）不受支持：引擎不能正确运行它"
    "（主流程正常办结时也会启动错误或升级处理，定时器会让办件无法办结）；"
    "请改用任务或子流程上的边界事件": (
        "The event subprocess %(scope)s (started by a %(trigger)s) is not supported: the engine"
        " does not run it correctly (it starts error and escalation handling even when the main"
        " flow ends normally, and a timer keeps the case from ever finishing); use a boundary"
        " event on a task or subprocess"
    ),
    "错误": "error",
    "升级": "escalation",
    "%(element)s 是错误或升级边界事件，但附着在 %(activity)s 上：只有子流程或调用活动内部的结束事件"
    "会抛出错误或升级，它永远不会触发": (
        "%(element)s is an error or escalation boundary event attached to %(activity)s: only"
        " the end events inside a subprocess or call activity throw errors or escalations, so"
        " it would never fire"
    ),
    "%(scope)s 有 %(count)s 个空开始事件"
    "（%(events)s）：引擎只会运行其中一个，请只保留一个开始事件": (
        "%(scope)s has %(count)s none start events (%(events)s): the engine would run only one"
        " of them; keep one start event"
    ),
    "%(scope)s 没有开始事件": "%(scope)s has no start event",
    "子流程 %(scope)s 没有结束事件": "The subprocess %(scope)s has no end event",
    "%(element)s 是信号结束事件，不受支持：引擎不会把它的信号送到本办件中等待的"
    "事件；请用信号中间抛出事件，再接结束事件": (
        "%(element)s is a signal end event, which is not supported: the engine does not deliver"
        " its signal to the events of the case that wait for it; throw the signal with an"
        " intermediate event, then end"
    ),
    "%(element)s 没有指定信号（signalRef）": "%(element)s names no signal (signalRef)",
    "%(element)s 等待信号“%(signal)s”，"
    "但模型中没有任何元素抛出它：本系统不接收外部信号，办件会一直等待": (
        "%(element)s waits for the signal “%(signal)s”, which nothing in the model throws;"
        " signals from outside are not received, so the case would wait forever"
    ),
    "%(element)s 的脚本语言 %(language)s 不受支持：只运行 Python 脚本": (
        "The script language %(language)s of %(element)s is not supported: scripts are Python"
    ),
    "%(element)s 的表达式语言 %(language)s 不受支持，请用 Python 表达式（例如 approved == True）": (
        "The expression language %(language)s of %(element)s is not supported; write a Python"
        " expression (for example approved == True)"
    ),
    "模型声明的表达式语言 %(language)s（definitions 的 expressionLanguage）不受支持，"
    "请用 Python 表达式（例如 approved =="
    " True）：删除该声明，并把条件、定时器等表达式写成 Python": (
        "The model declares the expression language %(language)s (expressionLanguage of the"
        " definitions), which is not supported; write Python expressions (for example"
        " approved == True): remove the declaration and write conditions, timers and other"
        " expressions in Python"
    ),
    # Camunda extensions (engine/camunda.py)
    "表单字段 id“%(field)s”无效：须以字母或下划线开头，只含字母、数字、下划线": (
        "The form field id “%(field)s” is not valid: it starts with a letter or underscore and"
        " holds only letters, digits and underscores"
    ),
    "表单字段 %(field)s 的类型 %(type)s 不受支持（支持 string、long、boolean、date、enum）": (
        "The type %(type)s of the form field %(field)s is not supported (string, long, boolean,"
        " date, enum are)"
    ),
    "枚举字段 %(field)s 没有任何选项（camunda:value）": (
        "The enum field %(field)s has no options (camunda:value)"
    ),
    "表单字段 %(field)s 的默认值“%(default)s”与类型 %(type)s 不符": (
        "The default “%(default)s” of the form field %(field)s does not fit its type %(type)s"
    ),
    "表单字段 %(field)s 的校验 %(rule)s 需要整数参数": (
        "The validation %(rule)s of the form field %(field)s needs an integer"
    ),
    "表单字段 %(field)s 的校验规则 %(rule)s 不受支持": (
        "The validation rule %(rule)s of the form field %(field)s is not supported"
    ),
    "Java 类（camunda:class）": "a Java class (camunda:class)",
    "委托表达式（camunda:delegateExpression）": (
        "a delegate expression (camunda:delegateExpression)"
    ),
    "表达式（camunda:expression）": "an expression (camunda:expression)",
    "%(element)s：%(what)s不受支持：请用 camunda:candidateGroups 指定部门和角色": (
        "%(element)s: %(what)s is not supported: name the department and role with"
        " camunda:candidateGroups"
    ),
    "%(element)s：%(what)s不受支持：请用 camunda:formData 或 JSON Schema 表单": (
        "%(element)s: %(what)s is not supported: use camunda:formData or a JSON Schema form"
    ),
    "%(element)s：%(what)s 不受支持：步骤时限请用属性 dueWorkingDays（工作日）": (
        "%(element)s: %(what)s is not supported: give step limits with the property"
        " dueWorkingDays (working days)"
    ),
    "%(element)s：%(what)s不受支持：请用 loopCardinality 或数据输入": (
        "%(element)s: %(what)s is not supported: use loopCardinality or a data input"
    ),
    "%(element)s：%(what)s不受支持": "%(element)s: %(what)s is not supported",
    "%(element)s：%(what)s 不受支持：请在脚本中直接给变量赋值": (
        "%(element)s: %(what)s is not supported: assign the variable in the script"
    ),
    "%(element)s：%(what)s不受支持：请把 Python 脚本写在模型中": (
        "%(element)s: %(what)s is not supported: write the Python script into the model"
    ),
    "%(element)s：%(what)s不受支持：决策随模型版本一起部署": (
        "%(element)s: %(what)s is not supported: decisions are deployed with the model's version"
    ),
    "%(element)s：%(what)s不受支持：办件的发起人记录在办件信息中": (
        "%(element)s: %(what)s is not supported: the case records who started it"
    ),
    "指定办理人（camunda:assignee）": "an assignee (camunda:assignee)",
    "候选用户（camunda:candidateUsers）": "candidate users (camunda:candidateUsers)",
    "外部表单（camunda:formKey）": "an external form (camunda:formKey)",
    "Camunda Forms（camunda:formRef）": "Camunda Forms (camunda:formRef)",
    "外部任务（camunda:type / topic）": "an external task (camunda:type / topic)",
    "外部脚本资源（camunda:resource）": "an external script resource (camunda:resource)",
    "Camunda 多实例集合（camunda:collection）": (
        "a Camunda multi-instance collection (camunda:collection)"
    ),
    "Camunda 多实例变量（camunda:elementVariable）": (
        "a Camunda multi-instance variable (camunda:elementVariable)"
    ),
    "指定决策版本（camunda:decisionRefVersion）": "a decision version (camunda:decisionRefVersion)",
    "指定决策版本标签（camunda:decisionRefVersionTag）": (
        "a decision version tag (camunda:decisionRefVersionTag)"
    ),
    "错误代码变量（camunda:errorCodeVariable）": (
        "an error code variable (camunda:errorCodeVariable)"
    ),
    "错误消息变量（camunda:errorMessageVariable）": (
        "an error message variable (camunda:errorMessageVariable)"
    ),
    "升级代码变量（camunda:escalationCodeVariable）": (
        "an escalation code variable (camunda:escalationCodeVariable)"
    ),
    "发起人变量（camunda:initiator）": "an initiator variable (camunda:initiator)",
    "租户（camunda:decisionRefTenantId）": "a tenant (camunda:decisionRefTenantId)",
    "执行监听器（camunda:executionListener）": "an execution listener (camunda:executionListener)",
    "任务监听器（camunda:taskListener）": "a task listener (camunda:taskListener)",
    "连接器（camunda:connector）": "a connector (camunda:connector)",
    "输入输出映射（camunda:inputOutput）": "an input/output mapping (camunda:inputOutput)",
    "调用活动的变量映射（camunda:in）": "a call activity variable mapping (camunda:in)",
    "调用活动的变量映射（camunda:out）": "a call activity variable mapping (camunda:out)",
    "%(element)s 使用了%(what)s，不受支持（Java 监听器无法在本系统运行）": (
        "%(element)s uses %(what)s, which is not supported (Java listeners cannot run here)"
    ),
    "%(element)s 使用了%(what)s，不受支持": "%(element)s uses %(what)s, which is not supported",
    "%(element)s：camunda:%(attribute)s 的值 %(value)s 不受支持（可用：%(allowed)s）": (
        "%(element)s: the value %(value)s of camunda:%(attribute)s is not supported (allowed:"
        " %(allowed)s)"
    ),
    "%(element)s 使用了 Java 委托%(what)s：本系统不运行"
    " Java 代码 (Java delegates are not supported)": (
        "%(element)s uses a Java delegate, %(what)s: Java delegates are not supported"
    ),
    "%(element)s 使用了 JUEL 表达式 %(snippet)s：本系统不支持 JUEL 表达式"
    " (JUEL expressions are not supported)，请改写为 Python 表达式，例如 approved == True": (
        "%(element)s uses the JUEL expression %(snippet)s: JUEL expressions are not supported;"
        " write a Python expression instead, for example approved == True"
    ),
    # decision tables (engine/dmn.py)
    "决策文件 %(file)s 中没有决策（decision）": "The decision file %(file)s holds no decision",
    "决策文件 %(file)s 含有 %(count)s 个决策（%(decisions)s）：引擎每个 .dmn 文件只支持一个决策，"
    "请把每个决策放进单独的 .dmn 文件": (
        "The decision file %(file)s holds %(count)s decisions (%(decisions)s): the engine reads"
        " one decision per .dmn file; put each decision in a file of its own"
    ),
    "%(task)s 调用的决策 %(decision)s 不在模型的任何 .dmn 文件中（现有：%(known)s）": (
        "The decision %(decision)s that %(task)s calls is in none of the model's .dmn files"
        " (there are: %(known)s)"
    ),
    "%(task)s 没有指定要调用的决策（spiffworkflow:calledDecisionId 或 camunda:decisionRef）": (
        "%(task)s names no decision to call (spiffworkflow:calledDecisionId or camunda:decisionRef)"
    ),
    "决策表的表达式语言 %(language)s 不受支持，请用 Python"
    ' 表达式（例如 ? < 500、? in ("a", "b")）': (
        "The decision table's expression language %(language)s is not supported; write Python"
        ' expressions (for example ? < 500, ? in ("a", "b"))'
    ),
    "决策 %(decision)s 依赖其他决策（informationRequirement）：不支持决策需求图，"
    "请让业务规则任务依次调用各个决策": (
        "The decision %(decision)s requires other decisions (informationRequirement): decision"
        " requirement graphs are not supported; call each decision from a business rule task"
        " in turn"
    ),
    "决策 %(decision)s 不是决策表：只支持决策表（decisionTable）": (
        "The decision %(decision)s is not a decision table: only decision tables"
        " (decisionTable) are supported"
    ),
    "决策 %(decision)s 的输入列 %(column)s 没有输入表达式": (
        "The input column %(column)s of the decision %(decision)s has no input expression"
    ),
    "决策 %(decision)s 的输出列 %(column)s 没有名称（name）：结果无法写入办件数据": (
        "The output column %(column)s of the decision %(decision)s has no name: its result"
        " could not be written into the case data"
    ),
    "输入表达式": "input expression",
    "输入条件": "input entry",
    "输出值": "output entry",
    "决策 %(decision)s 的命中策略 %(policy)s 不受支持": (
        "The hit policy %(policy)s of the decision %(decision)s is not supported"
    ),
    "决策 %(decision)s 的聚合 %(aggregation)s 只能用于命中策略 COLLECT（当前为 %(policy)s）": (
        "The aggregation %(aggregation)s of the decision %(decision)s needs the hit policy"
        " COLLECT (it is %(policy)s)"
    ),
    "决策 %(decision)s 的聚合 %(aggregation)s 不受支持": (
        "The aggregation %(aggregation)s of the decision %(decision)s is not supported"
    ),
    "决策 %(decision)s 的聚合 %(aggregation)s"
    " 只适用于只有一个输出列的决策表（当前有 %(count)s 个）": (
        "The aggregation %(aggregation)s of the decision %(decision)s needs a table with one"
        " output column (it has %(count)s)"
    ),
    "决策 %(decision)s 的输出列 %(column)s 的取值列表（outputValues）无法解析："
    '请写成 "高","中","低" 这样的文字列表': (
        "The output values (outputValues) of the column %(column)s of the decision"
        ' %(decision)s cannot be read: write a list of literals such as "high","medium","low"'
    ),
    "决策 %(decision)s 的命中策略 %(policy)s 按输出的取值列表（outputValues）排定优先级，"
    "但没有任何输出列给出取值列表": (
        "The hit policy %(policy)s of the decision %(decision)s ranks rules by the outputs'"
        " lists of values (outputValues), but no output column has one"
    ),
    "决策 %(decision)s 的规则 %(rule)s 的输出值 %(value)s 不在该输出的取值列表（%(allowed)s）中，"
    "无法确定优先级": (
        "The output %(value)s of the rule %(rule)s of the decision %(decision)s is not among"
        " the output's values (%(allowed)s), so it has no priority"
    ),
    '这是 FEEL 的 not(…) 写法，Python 请写成 ? != "x" 或 ? not in ("x", "y")': (
        'this is FEEL\'s not(…); in Python write ? != "x" or ? not in ("x", "y")'
    ),
    "这是 FEEL 的区间写法，Python 请写成 1 <= ? <= 5": (
        "this is a FEEL range; in Python write 1 <= ? <= 5"
    ),
    '这是 FEEL 的列表写法，Python 请写成 ? in ("a", "b")': (
        'this is a FEEL list; in Python write ? in ("a", "b")'
    ),
    "决策 %(decision)s 的%(kind)s %(cell)s：%(detail)s": (
        "The %(kind)s %(cell)s of the decision %(decision)s: %(detail)s"
    ),
    "无法编译：%(detail)s": "it does not compile: %(detail)s",
    # decisions at run time
    "决策 %(decision)s 的命中策略是 UNIQUE（唯一），但规则 %(rules)s 同时命中："
    "请修改决策表使规则互不重叠，或改用 FIRST、PRIORITY 等命中策略": (
        "The hit policy of the decision %(decision)s is UNIQUE, but the rules %(rules)s match"
        " together: make the rules exclusive, or use a hit policy such as FIRST or PRIORITY"
    ),
    "决策 %(decision)s 的命中策略是 ANY（任一），但同时命中的规则 %(rules)s 输出不一致："
    "请让它们的输出相同，或改用其他命中策略": (
        "The hit policy of the decision %(decision)s is ANY, but the matching rules %(rules)s"
        " disagree: give them the same outputs, or use another hit policy"
    ),
    "决策 %(decision)s 命中 %(count)s 条规则，但 camunda:mapDecisionResult 为 %(mapping)s"
    "（只接受一条结果）": (
        "The decision %(decision)s matched %(count)s rules, but camunda:mapDecisionResult is"
        " %(mapping)s (one result only)"
    ),
    "决策 %(decision)s 的规则 %(rule)s 的单元格 %(cell)s 计算出错：%(detail)s": (
        "The cell %(cell)s of the rule %(rule)s of the decision %(decision)s failed: %(detail)s"
    ),
    "决策 %(decision)s 的规则 %(rule)s 输出 %(output)s = %(value)s，不在该输出的取值列表"
    "（%(allowed)s）中，无法确定优先级": (
        "The rule %(rule)s of the decision %(decision)s gives %(output)s = %(value)s, which is"
        " not among the output's values (%(allowed)s), so it has no priority"
    ),
    "办件数据中没有变量 %(name)s": "the case data has no variable %(name)s",
    "决策 %(decision)s 的聚合 SUM 只能累加数值，命中规则 %(rules)s 的输出是 %(values)s": (
        "The aggregation SUM of the decision %(decision)s adds numbers only; the matching rules"
        " %(rules)s give %(values)s"
    ),
    "决策 %(decision)s 的聚合 %(aggregation)s 无法比较命中规则 %(rules)s 的输出 %(values)s": (
        "The aggregation %(aggregation)s of the decision %(decision)s cannot compare the"
        " outputs %(values)s of the matching rules %(rules)s"
    ),
    # message waits and call activities (engine/waits.py)
    "其他系统通过 POST /api/v1/messages/{name} 投递消息": (
        "other systems deliver messages through POST /api/v1/messages/{name}"
    ),
    "%(element)s 是发送任务，暂不支持；%(hint)s": (
        "%(element)s is a send task, which is not supported; %(hint)s"
    ),
    "%(element)s 没有引用带名称的消息（messageRef 指向"
    "的 bpmn:message 须有 name），外部系统无法投递": (
        "%(element)s refers to no named message (its messageRef must name a bpmn:message with"
        " a name), so no other system can deliver it"
    ),
    "%(element)s 发送消息（消息抛出事件），暂不支持；%(hint)s": (
        "%(element)s sends a message (a message throw event), which is not supported; %(hint)s"
    ),
    "%(element)s 的消息名称超过 %(limit)s 个字符": (
        "The message name of %(element)s is longer than %(limit)s characters"
    ),
    "%(element)s 是子流程中的消息启动事件，暂不支持：消息只能启动主流程": (
        "%(element)s is a message start event inside a subprocess, which is not supported: a"
        " message can start only the main process"
    ),
    "%(element)s 是消息启动事件，但流程另有 %(count)s "
    "个启动事件：以消息启动的流程只能有这一个启动事件，否则未触发的启动事件会"
    "一直等待": (
        "%(element)s is a message start event, but its process has %(count)s other start"
        " events: a process started by a message may have only that one, or the start events"
        " not triggered would wait forever"
    ),
    "事件网关 %(gateway)s 的分支 %(element)s 不是消"
    "息或定时器捕获事件（或接收任务），暂不支持：它等待的事件无法送达": (
        "Branch %(element)s of event-based gateway %(gateway)s is not a message or timer"
        " catch event (or a receive task), which is not supported: nothing can deliver what it"
        " waits for"
    ),
    "事件网关 %(element)s 有 %(count)s 个定时器分支，最多支持一个": (
        "Event-based gateway %(element)s has %(count)s timer branches; at most one is supported"
    ),
    "%(element)s 指定了被调用流程的版本（camunda:call"
    "edElementBinding = %(binding)s），不受支持"
    "：调用时使用被调用模型当时生效的最新版本": (
        "%(element)s pins the called process's version (camunda:calledElementBinding ="
        " %(binding)s), which is not supported: a call runs the called model's version in"
        " force when it starts"
    ),
    "%(element)s 没有指定被调用的流程（calledElement）": (
        "%(element)s names no process to call (calledElement)"
    ),
    "关联属性 %(element)s 的取值表达式无法编译：%(detail)s": (
        "The retrieval expression of correlation property %(element)s does not compile: %(detail)s"
    ),
    "%(element)s 调用的流程 %(process)s 由多个已部署模型提供（%(keys)s），无法确定调用哪一个": (
        "The process %(process)s that %(element)s calls is the main process of several"
        " deployed models (%(keys)s); which one to call is unclear"
    ),
    "%(element)s 调用的流程 %(process)s 既不在本模型"
    "的文件中，也不是任何已部署模型的主流程：请先部署被调用的模型，或改正 c"
    "alledElement": (
        "The process %(process)s that %(element)s calls is neither in this model's files nor"
        " the main process of a deployed model: deploy the called model first, or correct"
        " calledElement"
    ),
}


def render(message_id: str, params: dict[str, Any]) -> str:
    """A message in the request's language; values that are messages themselves too."""
    values = {
        key: render(value["message_id"], value["params"])
        if isinstance(value, dict) and "message_id" in value
        else value
        for key, value in params.items()
    }
    template = EN.get(message_id, message_id) if current_language() == "en" else message_id
    return template % values if values else template


def localize_problem(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem or note as the API documents it, its message in the request's language."""
    out = {key: problem[key] for key in _AS_DOCUMENTED if key in problem}
    if "message_id" in problem:
        out["message"] = render(problem["message_id"], problem.get("params", {}))
    return out


def localize_report(payload: dict[str, Any]) -> dict[str, Any]:
    """A validation report or deployment view with its ``problems`` and ``notes`` localized."""
    return {
        **payload,
        **{
            key: [localize_problem(p) for p in payload[key]]
            for key in ("problems", "notes")
            if key in payload
        },
    }


def localize_refusal(error: ModelInvalid) -> tuple[str, dict[str, Any]]:
    """The message and details of a refused model, in the request's language."""
    details = localize_report(error.details)
    heading = error.message.split("\n", 1)[0]
    if current_language() == "en":
        heading = "Model validation failed:"
    lines = [format_problem(p) for p in details.get("problems", [])]
    return "\n".join([heading, *lines]), details
