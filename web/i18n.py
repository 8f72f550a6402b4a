"""A tiny translation layer: the message id IS the Chinese text, English comes from a catalog.

Chinese is the working language of the service center, so templates and code read naturally in
Chinese and nothing breaks when a string has no English yet (it simply stays Chinese). The
interpolation syntax is gettext's ``%(name)s``, so moving to Flask-Babel later needs no rewrite.

The language is chosen per request from ``?lang=zh|en`` (remembered in the ``ow_lang`` cookie) or
the cookie, default Chinese; it lives on ``flask.g`` so it is per request even with many workers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, has_app_context, request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
COOKIE_NAME = "ow_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

EN_CATALOG: dict[str, str] = {
    # The clerk's work surface: tabs, lists, the task page, the person picker
    "%(count)s 条": "%(count)s",
    "其他操作": "Other actions",
    "列表": "Lists",
    "办件截止": "Case due",
    "办件查询结果": "Search results",
    "办件概况": "Case summary",
    "办件状态": "Case status",
    "办理人": "Handled by",
    "办理意见": "Opinion",
    "办理过程": "Case so far",
    "可多选：按住 Ctrl 或 Shift 选择多人": "Several may be chosen: hold Ctrl or Shift",
    "在办件页发表意见、抄送": "Comment or copy on the case page",
    "审批记录": "Approval record",
    "导出 Excel（全部结果）": "Export to Excel (all results)",
    "已办": "Done",
    "我发起的": "Started by me",
    "我受理的": "Taken in by me",
    "抄送给": "Copy to",
    "排序": "Sort",
    "暂无已办任务": "No completed tasks yet",
    "最新创建": "Newest first",
    "最新到达": "Latest arrived",
    "最早创建": "Oldest first",
    "最早到达": "Earliest arrived",
    "最近办理": "Recently handled",
    "步骤截止": "Step due",
    "没有可选择的人员": "Nobody can be chosen",
    "渠道": "Channel",
    "申请人或办件编号": "Applicant or case number",
    "第 %(page)s 页": "Page %(page)s",
    "第 %(version)s 版": "Version %(version)s",
    "系统": "System",
    "键盘：J / K 或 ↓ / ↑ 选择行，Enter 打开，/ 跳到筛选": (
        "Keyboard: J / K or ↓ / ↑ select a row, Enter opens it, / jumps to the filters"
    ),
    # 好差评 ratings (web/ratings.py, web/templates/ratings/, engine/services/ratings.py)
    "好差评": "Ratings",
    "服务评价": "Service rating",
    "非常满意": "Very satisfied",
    "满意": "Satisfied",
    "基本满意": "Fairly satisfied",
    "不满意": "Dissatisfied",
    "非常不满意": "Very dissatisfied",
    "整改": "Rectification",
    "请对%(stage)s服务作出评价": "Please rate the service (%(stage)s)",
    "“%(level)s”的理由（可多选）": "Why “%(level)s” (choose any)",
    "服务热情周到": "Warm and attentive service",
    "办理效率高": "Handled efficiently",
    "一次办成": "Done in one visit",
    "指引清晰": "Clear guidance",
    "服务规范": "Proper service",
    "办理较快": "Fairly quick",
    "材料要求清楚": "Clear list of materials",
    "等候时间较长": "Rather long wait",
    "流程有待简化": "The procedure could be simpler",
    "等候时间长": "Long wait",
    "服务态度差": "Poor attitude",
    "多次跑腿": "Had to come several times",
    "材料要求不清楚": "Unclear list of materials",
    "办理超时": "Handled late",
    "态度恶劣": "Rude",
    "推诿扯皮": "Passed from desk to desk",
    "吃拿卡要": "Asked for favours",
    "意见和建议": "Comments and suggestions",
    "选择“不满意”或“非常不满意”时，请选择理由或填写意见。": (
        "With “Dissatisfied” or “Very dissatisfied”, choose a reason or write a comment."
    ),
    "提交评价": "Submit rating",
    "感谢您的评价！": "Thank you for your rating!",
    "我们将在规定时限内回访，并向您反馈整改情况。": (
        "We will call you back within the set time and tell you what was done."
    ),
    "该办件的%(stage)s评价暂不能提交。": "This case cannot be rated (%(stage)s) now.",
    "此评价链接已使用，感谢您的评价。": (
        "This rating link has been used. Thank you for your rating."
    ),
    "评价链接无效或已过期。您也可以凭办件编号和查询密码在进度查询页面评价。": (
        "This rating link is invalid or has expired. You can also rate on the progress lookup "
        "page with the case number and query password."
    ),
    "%(stage)s评价": "Rating (%(stage)s)",
    "感谢您对%(stage)s服务的评价！": "Thank you for rating the service (%(stage)s)!",
    "评价范围": "Which ratings",
    "可查看的全部评价": "All I may see",
    "我的评价": "My ratings",
    "本部门评价": "My department's ratings",
    "打开评价器": "Open the rating pad",
    "多次评价的地址": "Addresses rating many cases",
    "筛选": "Filter",
    "评价等级": "Level",
    "只看差评": "Bad ratings only",
    "工作人员": "Clerk",
    "事项编码": "Item code",
    "起始日期": "From",
    "评价时间": "Rated at",
    "理由与意见": "Reasons and comment",
    "差评处理": "Bad-rating handling",
    "默认评价": "Default rating",
    "不计入考核": "Not counted",
    "处理中": "In progress",
    "没有符合条件的评价": "No ratings match",
    "评价详情": "Rating",
    "评价渠道": "Channel",
    "评价地址": "Client address",
    "计入考核": "Counted in scores",
    "申诉成立": "Appeal upheld",
    "已整改": "Rectified",
    "已解释说明": "Explained",
    "责任部门": "Responsible department",
    "处理时限": "Handling due",
    "处理经过": "Handling history",
    "至少评价办件数": "At least this many cases rated",
    "办件数": "Cases",
    "评价数": "Ratings",
    "差评数": "Bad ratings",
    "没有符合条件的地址": "No addresses match",
    "为您服务过的办件生成一次性评价链接，在大厅评价器上打开或请申请人扫码评价。": (
        "Make a one-time rating link for a case you served: open it on the hall's rating pad or"
        " let the applicant scan its QR code."
    ),
    "工作人员不能代替申请人评价。": "Staff never rate on an applicant's behalf.",
    "评价环节": "Stage rated",
    "生成评价链接": "Make the rating link",
    "扫码评价": "Scan to rate",
    "收到差评，开始处理": "Bad rating received, handling opened",
    "处理完毕": "Handling closed",
    "工作人员不能代替申请人评价": "Staff cannot rate on an applicant's behalf",
    "差评请选择理由或填写意见": "A bad rating needs a reason or a comment",
    "评价等级应为 1–5": "The level is 1 to 5",
    "所选理由不属于该评价等级": "A chosen reason does not belong to that level",
    "评价意见至多 500 字": "The comment is at most 500 characters",
    "该办件的受理评价已提交，不能重复评价": "The acceptance of this case has been rated already",
    "该办件的办结评价已提交，不能重复评价": "The completion of this case has been rated already",
    "该办件的整改评价已提交，不能重复评价": "The rectification of this case has been rated already",
    "办件尚未受理，暂不能评价受理服务": (
        "The case is not accepted yet: its acceptance cannot be rated"
    ),
    "办件尚未办结，暂不能评价办结服务": (
        "The case is not finished yet: its completion cannot be rated"
    ),
    "差评尚未整改或解释说明完毕，暂不能评价整改情况": (
        "The bad rating has not been rectified or explained yet: nothing to rate"
    ),
    "评价链接无效或已过期": "The rating link is invalid or has expired",
    "此评价链接已使用": "This rating link has been used",
    "只有为该办件服务过的工作人员可以发起评价": "Only staff who served the case can open a rating",
    # Model errors at run time (engine/model_errors.py)
    "流程模型在“%(element)s”（%(element_id)s）出错：": (
        "The process model failed at “%(element)s” (%(element_id)s): "
    ),
    "表达式 %(expression)s 引用了办件数据中没有的变量 %(name)s。": (
        "the expression %(expression)s reads %(name)s, which the case data does not hold. "
    ),
    "没有一条出口的条件成立，也没有默认出口。": (
        "no outgoing condition holds and there is no default flow. "
    ),
    "脚本第 %(line)s 行 %(code)s 执行失败（%(reason)s）。": (
        "line %(line)s of the script, %(code)s, failed (%(reason)s). "
    ),
    "表达式 %(expression)s 无法求值（%(reason)s）。": (
        "the expression %(expression)s could not be evaluated (%(reason)s). "
    ),
    "%(reason)s。": "%(reason)s. ",
    "本次办理未保存，请联系流程设计员修正模型。": (
        "Nothing of this step was saved; ask a process designer to fix the model."
    ),
    "卡件处理": "Incidents",
    "卡件列表": "Incident list",
    "以下办件的定时步骤多次执行失败，流程无法自动继续。": (
        "A timed step of these cases failed repeatedly, so they cannot move on by themselves."
    ),
    "请修正流程模型并将办件迁移到修正后的版本，然后重试。": (
        "Fix the process model, migrate the case to the fixed version, then retry."
    ),
    "出错环节": "Failed step",
    "错误信息": "Error",
    "发生时间": "Since",
    "重试": "Retry",
    "没有卡件。": "No incidents.",
    "已重试，办件 %(case_no)s 已继续流转": "Retried: case %(case_no)s moves on again",
    "此办件有未处理的卡件：": "This case has an open incident: ",
    # Layout, navigation and account
    "一窗通办": "OneWindow",
    "县级政务服务中心": "County Government Service Center",
    "主导航": "Main navigation",
    "跳到主要内容": "Skip to main content",
    "语言": "Language",
    "当前用户": "Signed in as",
    "登录": "Sign in",
    "退出": "Sign out",
    "用户名": "Username",
    "密码": "Password",
    "首页": "Home",
    "我的待办": "My tasks",
    "部门待办": "Department tasks",
    "办件查询": "Find a case",
    "发起办件": "New case",
    "办事指南": "Service guide",
    "进度查询": "Progress lookup",
    "办理进程": "Steps so far",
    "提交申请": "Application filed",
    "暂无流程": "No process published yet",
    "查看流程图": "Show the process diagram",
    # 审批链 条件构造器 (web/templates/chains/edit.html, web/static/js/condition-builder.js)
    "条件构造器": "Condition builder",
    "添加条件": "Add a condition",
    "多个条件": "Several conditions",
    "全部满足": "All hold",
    "任一满足": "Any holds",
    "写入条件": "Write the condition",
    "等于": "equals",
    "不等于": "does not equal",
    "大于": "greater than",
    "大于等于": "at least",
    "小于": "less than",
    "小于等于": "at most",
    "包含": "contains",
    "为空": "is empty",
    "已填写": "is filled in",
    "取值": "Value",
    "字段": "Field",
    "运算": "Operator",
    "一个条件": "A condition",
    "已写入条件，可继续手工修改": "Condition written; it may still be edited by hand",
    "请先添加条件": "Add a condition first",
    "删除此条件": "Remove",
    "“%(field)s”须填写数字": "“%(field)s” needs a number",
    # 表单构造器 (web/static/js/designer/form-builder.js, designer/modeler.html)
    "文本": "Text",
    "整数": "Integer",
    "数字": "Number",
    "是/否": "Yes/no",
    "单选（选项）": "Choice (options)",
    "（无条件）": "(always)",
    "字段 %(n)s · %(name)s": "Field %(n)s · %(name)s",
    "字段名": "Field name",
    "标题": "Title",
    "必填": "Required",
    "选项（每行一个：值=标题）": "Options (one a line: value=title)",
    "另在此字段…": "Also required when field…",
    "…等于此值时必填": "…equals this value",
    "上移字段": "Move field up",
    "下移字段": "Move field down",
    "删除字段": "Remove field",
    "新字段": "New field",
    "字段名“%(name)s”只能包含字母、数字和下划线，且不以数字开头": (
        "Field name “%(name)s” may hold letters, digits and underscores, not starting with a digit"
    ),
    "字段名“%(name)s”重复": "Field name “%(name)s” is used twice",
    "表单构造器": "Form builder",
    "各字段写入下面的 JSON Schema，它仍可直接编辑。": (
        "Set each field's name, title, type, required, options and conditional requirement; "
        "they are written into the JSON Schema below, which stays editable."
    ),
    "添加字段": "Add a field",
    # 事项目录 (web/designer.py catalogue pages)
    "事项 %(code)s 不存在": "Service item %(code)s does not exist",
    "事项 %(name)s 已创建": "Service item %(name)s created",
    "事项 %(name)s 已保存": "Service item %(name)s saved",
    "保存失败，请检查标红的字段": "Not saved; please correct the fields marked in red",
    "事项编码只能包含字母、数字、点、下划线和连字符（最多 64 个字符）": (
        "The item code may hold letters, digits, dots, underscores and hyphens (at most 64)"
    ),
    "事项编码 %(code)s 已存在": "Item code %(code)s already exists",
    "事项名称已被 %(code)s 使用": "The name is already used by %(code)s",
    "请选择一个已部署的流程模型": "Choose a deployed process model",
    "不是有效的 JSON：%(error)s": "Not valid JSON: %(error)s",
    "应为 JSON 对象": "Must be a JSON object",
    "新建事项": "New service item",
    "未部署": "Not deployed",
    "还没有事项": "No service items yet",
    "单位": "Unit",
    "流程与部门": "Process and departments",
    "新办件按所选模型的最新版本办理；只能选择已部署的模型。": (
        "New cases run on the newest version of the chosen model; only deployed models are offered."
    ),
    "参与部门": "Departments involved",
    "办事指南其他内容（JSON）": "Rest of the service guide (JSON)",
    "申请材料（materials）、收费、办理地点、常见问题等，按办事指南字段填写。": (
        "Materials, fees, place, FAQ and the other guide fields."
    ),
    "事项目录：新建和编辑事项，绑定已部署的流程模型": (
        "Service catalogue: create and edit items, bind a deployed model"
    ),
    "流程设计": "Process design",
    "系统管理": "Administration",
    "督办": "Supervision",
    # 督办 supervision and 联席会议 joint meetings (web/supervision.py, engine/services/…)
    "督办台账": "Supervision ledger",
    "黄灯预警": "Yellow light",
    "亮黄灯，已提醒部门负责人": "Yellow light: the department head was told",
    "转入督办": "Under supervision",
    "督办件": "Supervision items",
    "%(count)s 项待反馈": "%(count)s awaiting feedback",
    "督办单": "Supervision item",
    "督办编号": "Item no.",
    "督办事项": "Problem",
    "督办文书": "Supervision notices",
    "督办清单": "Supervision list",
    "下发": "Issue",
    "下发督办": "Issue a supervision item",
    "已下发 %(no)s": "Issued %(no)s",
    "来源": "Source",
    "日常督办": "Routine supervision",
    "领导交办": "Assigned by a leader",
    "超期红灯": "Red light (overdue case)",
    "差评整改超期": "Bad rating handled late",
    "服务监督员": "Service monitor",
    "等级": "Level",
    "蓝色提醒": "Blue (reminder)",
    "橙色预警": "Orange (warning)",
    "红色通报": "Red (public notice)",
    "待反馈": "Awaiting feedback",
    "已反馈": "Feedback given",
    "已销号": "Closed",
    "牵头单位": "Lead department",
    "协办单位": "Assisting departments",
    "责任人": "Responsible person",
    "默认为牵头单位负责人": "By default the lead department's head",
    "办理要求": "Required action",
    "关联办件": "Linked cases",
    "关联办件编号（多个用逗号分隔）": "Linked case numbers (comma-separated)",
    "反馈期限": "Feedback due",
    "反馈期限（工作日）": "Feedback due in (working days)",
    "第 %(round)s 轮": "round %(round)s",
    "反馈": "Feedback",
    "反馈内容": "Feedback",
    "反馈办理情况": "Report progress",
    "反馈已提交": "Feedback submitted",
    "附件（PDF、图片、Word、Excel，每个不超过 10 MB）": (
        "Attachments (PDF, images, Word, Excel; at most 10 MB each)"
    ),
    "提交反馈": "Submit feedback",
    "审核反馈": "Review the feedback",
    "意见（退回时必填）": "Comment (required to send back)",
    "新的反馈期限（工作日，退回时必填）": "New deadline in working days (required to send back)",
    "提交审核": "Submit review",
    "销号": "Close",
    "退回重办": "Send back",
    "已退回重办": "Sent back",
    "升级": "Escalated",
    "办理经过": "Timeline",
    "催办通知书": "Reminder notice",
    "通报": "Public notice",
    "返回督办单": "Back to the item",
    "没有符合条件的督办事项": "No supervision items match",
    "暂无督办件": "No supervision items",
    "本部门牵头或协办、尚未销号的督办事项。牵头单位请在反馈期限前提交反馈。": (
        "Open supervision items your department leads or assists. The lead department reports"
        " before the feedback deadline."
    ),
    "联席会议": "Joint meetings",
    "记录会议": "Record a meeting",
    "记录联席会议": "Record a joint meeting",
    "还没有会议记录": "No meetings recorded yet",
    "会议名称": "Meeting",
    "会议日期": "Held on",
    "会议纪要": "Minutes",
    "参会部门": "Departments present",
    "参会人员": "Attendees",
    "参会人员（每行一人）": "Attendees (one per line)",
    "记录人": "Recorded by",
    "议定事项": "Decisions",
    "议定事项 %(n)s": "Decision %(n)s",
    "议定事项（每项转为一件督办事项）": "Decisions (each becomes a supervision item)",
    "问题": "Problem",
    "会议决定（措施要求）": "Decision (required action)",
    "措施要求": "Required action",
    "最近反馈": "Latest feedback",
    "保存会议并下发督办": "Save the meeting and issue its items",
    "会议已记录，议定事项已转为督办事项": (
        "Meeting recorded; its decisions are now supervision items"
    ),
    "导出 Excel": "Export to Excel",
    "议题线索": "Topic candidates",
    "从办件记录中找出需要联席会议协调的问题，每条附有依据和相关办件。": (
        "Problems in the case records for the joint meeting, each with its evidence and cases."
    ),
    "统计区间": "Period",
    "统计": "Compute",
    "数据依据": "Evidence",
    "相关办件": "Cases",
    "列为会议议题": "Put on the agenda",
    "本区间没有发现此类问题": "None in this period",
    "超期办件最多的事项": "Service items with the most overdue cases",
    "超时最多的环节": "Steps most often late",
    "退回最多的环节": "Steps that return the most cases",
    "跨部门等待最长的环节": "Longest waits after a hand-over between departments",
    "差评最多的事项": "Service items with the most bad ratings",
    "逾期未反馈的督办事项": "Supervision items past their feedback deadline",
    "督办事项填写有误": "The supervision item has errors",
    "审核意见填写有误": "The review has errors",
    "联席会议记录填写有误": "The meeting record has errors",
    "没有这个部门": "No such department",
    "应为文本": "Must be text",
    "只有督办员可以下发和审核督办事项": "Only supervisors issue and review supervision items",
    "只有牵头或协办单位可以反馈": "Only the lead or an assisting department reports",
    "督办事项已销号": "The supervision item is closed",
    "没有查看督办事项的权限": "You may not read supervision items",
    "统计分析": "Statistics",
    "关闭": "Close",
    "提示": "Notice",
    # Actions
    "认领": "Claim",
    "取消认领": "Unclaim",
    "转办": "Transfer",
    "提交": "Submit",
    "保存": "Save",
    "取消": "Cancel",
    "确定": "OK",
    "返回": "Back",
    "查询": "Search",
    "重置": "Reset",
    "查看": "View",
    "详情": "Details",
    "操作": "Actions",
    "上传": "Upload",
    "下载": "Download",
    "打印": "Print",
    "部署": "Deploy",
    "校验": "Validate",
    "评价": "Rate",
    # Decisions and results
    "办结": "Finish",
    "办理完成": "Completed",
    "定时器到期": "Timer fired",
    "暂停计时": "Clock paused",
    "恢复计时": "Clock resumed",
    "延期": "Extended",
    "上传材料": "Materials uploaded",
    "待会签": "Awaiting co-signers",
    "审批中": "In approval",
    "委派办毕交回": "Delegation handed back",
    "会签意见": "Co-signer's opinion",
    "迁移流程版本": "Moved to another model version",
    "审批层级开始": "Approval level started",
    "审批层级完成": "Approval level done",
    "依次审批下一人": "Next approver in sequence",
    "审批层级跳过": "Approval level skipped",
    "审批链完成": "Approval chain done",
    "审批人兜底": "Approver fallback",
    "回避申请人": "Applicant excluded from approvers",
    "审批条件出错": "Approval condition error",
    "未配置审批链": "No approval chain configured",
    "开始计时": "Clock started",
    "停止计时": "Clock stopped",
    "已兑现": "kept",
    "未兑现": "not kept",
    "补正次数": "Supplement rounds",
    "材料核验": "Materials checked",
    "受理": "Accept",
    "补正": "Request supplement",
    "一次性告知": "One-time notice",
    "不予受理": "Reject",
    "准予": "Approve",
    "准予许可": "Permission granted",
    "不予许可": "Permission refused",
    "退回": "Return",
    "同意": "Agree",
    "不同意": "Disagree",
    "审核意见": "Review opinion",
    "意见": "Opinion",
    "原因": "Reason",
    "缺少的材料": "Missing materials",
    "办理结果": "Result",
    # Case and task fields
    "部门": "Department",
    "角色": "Role",
    "状态": "Status",
    "处理人": "Assignee",
    "截止日期": "Due date",
    "办件编号": "Case number",
    "事项": "Service item",
    "申请人": "Applicant",
    "联系电话": "Phone",
    "证件号码": "ID number",
    "当前环节": "Current step",
    "环节": "Step",
    "受理时间": "Accepted at",
    "办结时间": "Finished at",
    "创建时间": "Created at",
    "时限": "Time limit",
    "工作日": "working days",
    "已用工作日": "Working days used",
    "暂停工作日": "Working days paused",
    "材料": "Materials",
    "历史记录": "History",
    "流程图": "Process diagram",
    "办件信息": "Case information",
    "暂无数据": "No data",
    "暂无待办": "No open tasks",
    "暂无待办任务": "No open tasks",
    "无": "None",
    "范围": "Scope",
    "本部门待办": "Department tasks",
    "任务": "Task",
    "当前待办": "Open tasks",
    "办理": "Handle",
    "办理步骤": "Steps",
    "步骤": "Step",
    "数据": "Data",
    "办理意见（可选）": "Comment (optional)",
    "您不是该任务的办理人": "You are not the assignee of this task.",
    "流程版本": "Process version",
    "办结结果": "Result",
    "办件编号或申请人": "Case number or applicant",
    "没有找到办件": "No cases found",
    "申请人类型": "Applicant type",
    "个人": "Person",
    "企业": "Enterprise",
    "名称/姓名": "Name",
    "证件类型": "ID type",
    "备注": "Remarks",
    "返回首页": "Back to home",
    "已提交": "Submitted",
    "已取消认领": "Claim released",
    "办件已创建：%(case_no)s，查询密码 %(password)s": (
        "Case %(case_no)s created; query password %(password)s"
    ),
    "表单填写有误，请检查标红的字段": "Please correct the fields marked in red",
    # Task and case states
    "待办": "To do",
    "待认领": "Unclaimed",
    "已认领": "Claimed",
    "已完成": "Completed",
    "进行中": "In progress",
    "未开始": "Not started",
    "办理中": "In progress",
    "已办结": "Finished",
    "补正中": "Awaiting supplement",
    "已暂停": "Paused",
    "已取消": "Cancelled",
    "已关闭": "Closed",
    "已停止": "Stopped",
    # Lights (电子监察)
    "绿灯": "Green",
    "黄灯": "Yellow",
    "红灯": "Red",
    "未计时": "Not timed",
    "计时灯": "Time light",
    # Pagination
    "分页": "Pagination",
    "上一页": "Previous",
    "下一页": "Next",
    "第 %(page)s / %(pages)s 页": "Page %(page)s of %(pages)s",
    "共 %(total)s 条": "%(total)s in total",
    # Forms
    "（必填）": " (required)",
    "请选择": "Please choose",
    "表单有误，请检查标出的字段": "Please correct the marked fields",
    # Validation messages
    "该字段为必填项": "This field is required.",
    "请选择有效的选项": "Please choose a valid option.",
    "请输入文本": "Please enter text.",
    "请输入整数": "Please enter a whole number.",
    "请输入数字": "Please enter a number.",
    "请选择是或否": "Please choose yes or no.",
    "请至少选择一项": "Please choose at least one item.",
    "内容格式不正确": "The value has the wrong structure.",
    "不能小于 %(limit)s": "Must not be less than %(limit)s.",
    "不能大于 %(limit)s": "Must not be greater than %(limit)s.",
    "必须大于 %(limit)s": "Must be greater than %(limit)s.",
    "必须小于 %(limit)s": "Must be less than %(limit)s.",
    "必须是 %(step)s 的倍数": "Must be a multiple of %(step)s.",
    "格式不正确": "The format is not valid.",
    "至少需要 %(limit)s 个字符": "Must be at least %(limit)s characters.",
    "不能超过 %(limit)s 个字符": "Must be at most %(limit)s characters.",
    "至少选择 %(limit)s 项": "Choose at least %(limit)s item(s).",
    "最多选择 %(limit)s 项": "Choose at most %(limit)s item(s).",
    "不能有重复项": "Items must not repeat.",
    "包含不允许的字段": "Contains fields that are not allowed.",
    "表单中没有此字段": "This form has no such field.",
    "内容过长，不能超过 %(limit)s 个字符": "Too long: at most %(limit)s characters.",
    "日期格式应为 YYYY-MM-DD": "Dates must look like YYYY-MM-DD.",
    "时间格式不正确": "The date and time are not valid.",
    "邮箱格式不正确": "The e-mail address is not valid.",
    "内容不符合要求": "The value is not valid.",
    # Notices (办件文书); the documents themselves stay Chinese, they are the official text
    "办件文书": "Case notices",
    "文书操作": "Notice actions",
    "打印预览": "Print view",
    "下载 PDF": "Download PDF",
    "返回办件": "Back to the case",
    "暂无文书": "No notices yet",
    "第 %(round)s 次": "round %(round)s",
    "受理通知书": "Notice of acceptance",
    "不予受理决定书": "Decision not to accept",
    "一次性告知书": "One-time notice of missing materials",
    "延期告知书": "Notice of extension",
    "准予行政许可决定书": "Decision granting the licence",
    "不予行政许可决定书": "Decision refusing the licence",
    "准予办理决定书": "Decision of approval",
    "不予办理决定书": "Decision of refusal",
    # Public pages (办事指南, 进度查询)
    "%(count)s 份": "%(count)s",
    "%(count)s 次": "%(count)s",
    "%(days)s 个工作日": "%(days)s working days",
    "%(days)s 个自然日": "%(days)s calendar days",
    "不收费": "Free of charge",
    "事项名称": "Service item",
    "事项名称或编码": "Item name or code",
    "事项目录": "Service item catalogue",
    "事项类型": "Item type",
    "到现场次数": "Visits in person",
    "办件类型": "Case type",
    "办件编号或查询密码不正确，请核对后重试": (
        "Wrong case number or query password. Please check and try again."
    ),
    "办理地点": "Where to apply",
    "办理地点和时间": "Where and when",
    "办理时间": "Opening hours",
    "办理流程": "Process",
    "即办件": "Decided on the spot",
    "承诺件": "Decided within a promised time",
    "原件": "Originals",
    "复印件": "Copies",
    "受理条件": "Conditions for acceptance",
    "受理标准": "Acceptance standard",
    "是": "Yes",
    "否": "No",
    "咨询电话": "Enquiries",
    "投诉电话": "Complaints",
    "基本信息": "Basic information",
    "基本编码": "Base code",
    "实施编码": "Implementation code",
    "实施主体": "Implementing body",
    "统一社会信用代码": "Unified social credit code",
    "联办部门": "Joint departments",
    "设定依据": "Legal basis",
    "常见问题": "Frequently asked questions",
    "当场办结": "On the spot",
    "必要": "Required",
    "非必要": "Optional",
    "法定办结时限": "Statutory time limit",
    "承诺办结时限": "Promised time limit",
    "收费标准": "Fees",
    "收费项目": "Fee",
    "收费依据": "Basis",
    "是否允许减免": "Can be waived",
    "无需提交材料": "No materials required",
    "是否必要": "Required?",
    "最多跑一次": "At most one visit",
    "材料名称": "Material",
    "材料形式": "Form",
    "来源渠道": "Issued by",
    "申请材料": "Application materials",
    "纸质": "Paper",
    "电子": "Electronic",
    "纸质或电子": "Paper or electronic",
    "空白表格": "Blank form",
    "示例样表": "Filled-in sample",
    "特别程序": "Special procedures",
    "特别程序所需时间不计入办结时限，办理时将书面告知所需时间。": (
        "Time taken by special procedures does not count towards the time limit; "
        "you will be told in writing how long they take."
    ),
    "查询失败次数过多，请 %(minutes)s 分钟后再试": (
        "Too many failed lookups. Please try again in %(minutes)s minute(s)."
    ),
    "查询密码": "Query password",
    "没有找到事项": "No service items found",
    "请输入办件编号": "Please enter the case number",
    "请输入查询密码": "Please enter the query password",
    "请输入受理通知书上的办件编号和查询密码。": (
        "Enter the case number and query password printed on your acceptance notice."
    ),
    "页面路径": "Breadcrumb",
    "（暂定）": " (provisional)",
    "出证办结": "Finished, certificate issued",
    "作废": "Voided",
    "删除": "Deleted",
    "转报": "Referred upwards",
    "补正超时驳回": "Rejected: supplement not provided in time",
    # Clock section of the case page and the working-day calendar (web/clock_pages.py, admin.py)
    "计时": "Clock",
    "计时状态": "Clock state",
    "计时中": "Running",
    "未开始计时": "Not started",
    "受理日期": "Accepted on",
    "剩余工作日": "Working days left",
    "已超期 %(days)s 个工作日": "Overdue by %(days)s working day(s)",
    "暂停记录": "Pauses",
    "延期记录": "Extensions",
    "类型": "Kind",
    "开始": "From",
    "结束": "Until",
    "计划天数": "Planned days",
    "理由": "Reason",
    "经办人": "By",
    "批准人": "Approved by",
    "时间": "Time",
    "程序": "Procedure",
    "补正暂停": "Pause for a supplement",
    "特别程序所需时间不计入办结时限，须书面告知申请人所需时间。": (
        "Time taken by a special procedure does not count; tell the applicant in writing how "
        "long it will take."
    ),
    "开始特别程序，暂停计时": "Start the procedure and pause the clock",
    "等待申请人补正，暂停计时": "Wait for the applicant's supplement and pause the clock",
    "结束暂停，恢复计时": "End the pause and resume the clock",
    "延期办理": "Extension",
    "延期工作日": "Working days added",
    "批准延期": "Approve the extension",
    "已暂停计时": "The clock is paused",
    "已恢复计时": "The clock is running again",
    "已延期 %(days)s 个工作日": "Extended by %(days)s working day(s)",
    "延期天数应为整数": "The extension must be a whole number of working days",
    "计划天数应为整数": "Planned days must be a whole number",
    "工作日历": "Working-day calendar",
    "月份": "Month",
    "上月": "Previous month",
    "下月": "Next month",
    "周一": "Mon",
    "周二": "Tue",
    "周三": "Wed",
    "周四": "Thu",
    "周五": "Fri",
    "周六": "Sat",
    "周日": "Sun",
    "上班": "Working day",
    "休息": "Day off",
    "放假": "Holiday",
    "调休上班": "Make-up working day",
    "日期": "Date",
    "名称": "Name",
    "依据": "Source notice",
    "修改人": "Changed by",
    "通知文号或来源": "Notice number or source",
    "如：三月三（畲族）、临时停止办公": "e.g. Sanyuesan (She people), emergency closure",
    "本月调整": "Changes this month",
    "本月没有调整，按周一至周五上班计算": "No changes this month: Monday to Friday are worked",
    "新增或修改日期": "Add or change a day",
    "已公布放假安排的年份": "Years with an announced holiday schedule",
    "已保存 %(day)s 的日历设置": "Saved the calendar entry for %(day)s",
    "请填写依据（通知文号或来源）": "Please enter the source notice (number or origin)",
    "办件时限按工作日计算：法定节假日不计，调休上班日计入。": (
        "Time limits count working days: statutory holidays do not, make-up working days do."
    ),
    "本表从国务院办公厅节假日安排通知导入，管理员可补充地方节日、临时停止办公等。": (
        "The table comes from the State Council's holiday notices; administrators add local "
        "holidays, emergency closures and the like."
    ),
    "尚未公布放假安排的年份按《全国年节及纪念日放假办法》推定法定节假日（元旦、春节、清明节、"
    "劳动节、端午节、中秋节、国庆节，逢周末补假），经过这些年份的截止日期一律标注为“暂定”。": (
        "Years whose holiday schedule is not announced yet assume the statutory holidays of the "
        "national holidays regulation (New Year, Spring Festival, Qingming, Labour Day, Dragon "
        "Boat, Mid-Autumn, National Day, made up on a weekday when they fall on a weekend); "
        "every deadline computed through them is marked provisional."
    ),
    "%(year)s 年的放假安排尚未公布：本月按推定的法定节假日计算（暂定）。": (
        "The holiday schedule for %(year)s is not announced yet: this month counts the assumed "
        "statutory holidays (provisional)."
    ),
    "其他年份按推定的法定节假日计算，截止日期标注为“暂定”。": (
        "Other years count the assumed statutory holidays, and deadlines through them are "
        "marked provisional."
    ),
    "本月没有调整，按周一至周五上班计算（未公布年份另扣除推定的法定节假日）": (
        "No changes this month: Monday to Friday are working days (less the assumed statutory "
        "holidays in a year not announced)"
    ),
    "按放假办法推定": "Assumed by the holidays regulation",
    "已删除 %(day)s 的日历设置": "Calendar entry for %(day)s removed",
    "%(year)s 年已标记为已公布。": "%(year)s is marked as announced.",
    "%(year)s 年放假安排通知": "Holiday notice for %(year)s",
    "如：国办发明电〔2026〕X号": "e.g. the State Council General Office notice number",
    "请先录入通知中的全部放假和调休上班日期，再标记为已公布；标记后该年不再推定节假日，截止日期不再"
    "标注“暂定”，未办结办件的截止日期随之重算。": (
        "Enter every holiday and make-up working day of the notice first, then mark the year "
        "announced: its holidays are no longer assumed, its deadlines are no longer provisional, "
        "and open cases' deadlines are recomputed."
    ),
    "标记为已公布": "Mark as announced",
    "撤销公布标记": "Withdraw the announcement",
    "已将 %(year)s 年标记为已公布": "%(year)s is marked as announced",
    "已撤销 %(year)s 年的公布标记": "The announcement of %(year)s is withdrawn",
    "收取材料": "Materials received",
    "待受理办件": "Applications awaiting a decision",
    "亮灯": "Light",
    "申请材料不齐全的，应在收到材料之日起5个工作日内一次性告知补正；逾期不告知的，自收到材料之日起即为受理，"
    "开始计时（《行政许可法》第三十二条）。": (
        "Incomplete materials must be notified at once within 5 working days of receipt; "
        "otherwise the application counts as accepted on receipt and the clock starts "
        "(Administrative Licensing Law, art. 32)."
    ),
    "收件日期": "Received on",
    "告知补正截止": "Notice due by",
    "没有等待受理决定的办件": "No application awaits a decision",
    # 综合受理 (one-window intake) and materials
    "综合受理": "One-window intake",
    "受理环节：%(step)s": "Intake step: %(step)s",
    "%(step)s · 其他信息": "%(step)s · further details",
    "受理决定": "Intake decision",
    "一次性告知补正": "One-time notice to supplement",
    "帮办代办（代理人代为申请时填写）": (
        "Filed by an agent (fill in when someone applies on the applicant's behalf)"
    ),
    "代办人姓名": "Agent's name",
    "代办人证件号码": "Agent's ID number",
    "与申请人关系": "Relation to the applicant",
    "授权委托书编号": "Power of attorney number",
    "逐项核验材料并勾选“已收”。": "Check each material and tick “Received”.",
    "扫描件仅限 PDF、JPEG、PNG，单个文件不超过 10 MB。": (
        "Scans must be PDF, JPEG or PNG, at most 10 MB each."
    ),
    "未收齐的必要材料默认列入“需补正”。": (
        "Required materials not received are preselected as “To supplement”."
    ),
    "已收": "Received",
    "未收": "Not received",
    "缺": "Missing",
    "扫描件": "Scan",
    "需补正": "To supplement",
    "需补正的材料": "Materials to supplement",
    "理由 / 补正告知说明": "Reason / what to supplement",
    "不予受理、一次性告知补正时必填：写明理由，或逐项写明需补正的内容": (
        "Required when rejecting or asking for a supplement: give the reason, or list item by "
        "item what must be supplied."
    ),
    "提交受理": "Submit intake",
    "请选择受理决定": "Please choose the intake decision.",
    "已受理并办结": "Accepted and finished",
    "已受理，转入：%(steps)s": "Accepted; next: %(steps)s",
    "已一次性告知补正，办件等待补正材料": (
        "One-time notice given; the case waits for the missing materials"
    ),
    "不予受理，办件已办结": "Not accepted; the case is finished",
    "未找到可由您办理的受理环节，请在办件页面继续办理": (
        "No intake step you can handle was found; please continue on the case page."
    ),
    "已上传的扫描件已保留，无需重新选择": "Uploaded scans are kept; no need to choose them again",
    "已上传：%(file)s": "Uploaded: %(file)s",
    "重新选择": "choose again",
    "居民身份证号码不正确（长度、格式或校验位不符）": (
        "Invalid resident ID number (length, format or check digit)"
    ),
    "统一社会信用代码不正确（长度、格式或校验位不符）": (
        "Invalid unified social credit code (length, format or check digit)"
    ),
    "缺少必要材料": "Required materials missing",
    "必要材料已收齐": "All required materials received",
    "材料清单": "Materials checklist",
    "已上传的扫描件": "Uploaded scans",
    "文件名": "File name",
    "大小": "Size",
    "上传人": "Uploaded by",
    "暂无扫描件": "No scans yet",
    # Process designer (web/designer.py, templates/designer/, static/js/designer/)
    "窗口人员": "Window clerk",
    "部门审批人员": "Department reviewer",
    "科长/分管领导": "Section chief / approving leader",
    "不影响时限": "No effect on the time limit",
    "开始计时（受理）": "Start the clock (acceptance)",
    "暂停计时（补正、特别程序）": "Pause the clock (supplement, special procedure)",
    "停止计时（办结）": "Stop the clock (case finished)",
    "无法复制模型：%(message)s": "The model cannot be copied: %(message)s",
    "模型标识须以小写字母开头，只含小写字母、数字和下划线（2–64 个字符）": (
        "The model key must start with a lowercase letter and contain only lowercase letters, "
        "digits and underscores (2–64 characters)"
    ),
    "请填写模型名称": "Please enter the model name",
    "模型名称最多 128 个字符": "The model name has at most 128 characters",
    "模型标识 %(key)s 已存在": "The model key %(key)s already exists",
    "流程模型 %(key)s 不存在": "Process model %(key)s does not exist",
    "新建模型失败，请检查标红的字段": (
        "The model was not created; please check the fields marked in red"
    ),
    "模型 %(key)s 已创建（草稿）": "Model %(key)s created (draft)",
    "决策文件应为模型目录中的 .dmn 文件": "A decision file is a .dmn file of the model folder",
    "请求体应为 JSON 对象，其中 schema 为 JSON Schema 对象": (
        "The request body must be a JSON object whose schema is a JSON Schema object"
    ),
    "UI Schema 应为 JSON 对象": "The UI schema must be a JSON object",
    "无法渲染表单：%(message)s": "The form cannot be rendered: %(message)s",
    "加载中…": "Loading…",
    "加载失败：%(message)s": "Loading failed: %(message)s",
    "草稿已保存": "Draft saved",
    "保存失败：%(message)s": "Saving failed: %(message)s",
    "正在校验…": "Validating…",
    "校验通过，没有发现问题": "Validation passed, no problems found",
    "发现 %(count)s 个问题": "%(count)s problem(s) found",
    "正在部署…": "Deploying…",
    "已部署为版本 %(version)s": "Deployed as version %(version)s",
    "与版本 %(version)s 相同，未生成新版本": (
        "Identical to version %(version)s; no new version was made"
    ),
    "部署未通过校验，请先修正下列问题": (
        "Deployment failed validation; please fix the problems below first"
    ),
    "请填写变更说明": "Please enter a change note",
    "服务端尚未提供此功能（%(status)s）": "The server does not offer this yet (%(status)s)",
    "在画布上选择一个元素以编辑其属性": "Select an element on the canvas to edit its properties",
    "元素标识": "Element id",
    "— 选择部门 —": "— choose a department —",
    "（未匹配任何部门）": "(matches no department)",
    "办理角色": "Role",
    "— 不指定 —": "— not set —",
    "审批链": "Approval chain",
    "表单": "Form",
    "— 未设置 —": "— not set —",
    "无需表单": "No form needed",
    "时限影响": "Clock effect",
    "步骤时限（工作日）": "Step time limit (working days)",
    "条件表达式": "Condition expression",
    "基于办件数据的表达式，例如：": "An expression over the case data, for example:",
    "网关的默认流": "Default flow of the gateway",
    "定时器": "Timer",
    "定时器类型": "Timer type",
    "持续时间（timeDuration）": "Duration (timeDuration)",
    "日期时间（timeDate）": "Date and time (timeDate)",
    "循环（timeCycle）": "Cycle (timeCycle)",
    "ISO 8601 表达式，例如：": "An ISO 8601 expression, for example:",
    "其他扩展属性": "Other extension properties",
    "文件名只能包含小写字母、数字和下划线": (
        "A file name contains only lowercase letters, digits and underscores"
    ),
    "表单文件已存在": "The form file already exists",
    "JSON 格式错误：%(message)s": "Malformed JSON: %(message)s",
    "JSON Schema 无效：%(message)s": "Invalid JSON Schema: %(message)s",
    "选择或新建一个表单": "Choose or create a form",
    "决策文件已存在": "The decision file already exists",
    "等待中": "Waiting",
    "平均停留": "Average stay",
    "%(hours)s 小时": "%(hours)s h",
    "暂无统计数据": "No statistics yet",
    "两个版本之间没有元素变化": "No element changed between the two versions",
    "新增": "Added",
    "修改": "Changed",
    "可迁移": "Can move",
    "不可迁移": "Cannot move",
    "已迁移": "Moved",
    "没有运行中的办件": "No running cases",
    "请至少选择一个办件": "Please choose at least one case",
    "确定将选中的 %(count)s 个办件迁移到版本 %(version)s？": (
        "Move the %(count)s chosen case(s) to version %(version)s?"
    ),
    "有未保存的修改，确定离开？": "There are unsaved changes. Leave anyway?",
    "正在保存…": "Saving…",
    "草稿：%(user)s 保存于 %(at)s": "Draft saved by %(user)s at %(at)s",
    "尚无草稿，基于版本 v%(version)s": "No draft yet; based on version v%(version)s",
    "草稿（刚刚保存）": "Draft (just saved)",
    "模型中没有 .bpmn 文件": "The model has no .bpmn file",
    "该模型还没有决策表": "This model has no decision tables yet",
    "模型中没有文件 %(file)s": "The model has no file %(file)s",
    "表达式": "Expression",
    "v%(from)s → v%(to)s：%(count)s 处元素变化": "v%(from)s → v%(to)s: %(count)s element change(s)",
    "选择办件 %(case_no)s": "Choose case %(case_no)s",
    "试迁移：%(ok)s / %(total)s 个办件可迁移": "Dry run: %(ok)s of %(total)s case(s) can move",
    "已将 %(ok)s / %(total)s 个办件迁移到版本 %(version)s": (
        "Moved %(ok)s of %(total)s case(s) to version %(version)s"
    ),
    "决策需求图": "Decision requirements diagram",
    "决策表": "Decision table",
    "文字表达式": "Literal expression",
    "审查意见": "Review opinion",
    "办理结论": "Decision",
    "流程": "Process",
    "协作": "Collaboration",
    "池": "Pool",
    "泳道（部门）": "Lane (department)",
    "用户任务": "User task",
    "服务任务": "Service task",
    "脚本任务": "Script task",
    "业务规则任务": "Business rule task",
    "手工任务": "Manual task",
    "发送任务": "Send task",
    "接收任务": "Receive task",
    "调用活动": "Call activity",
    "子流程": "Subprocess",
    "开始事件": "Start event",
    "结束事件": "End event",
    "中间捕获事件": "Intermediate catch event",
    "中间抛出事件": "Intermediate throw event",
    "边界事件": "Boundary event",
    "排他网关": "Exclusive gateway",
    "并行网关": "Parallel gateway",
    "包容网关": "Inclusive gateway",
    "事件网关": "Event-based gateway",
    "顺序流": "Sequence flow",
    "文本注释": "Text annotation",
    "数据对象": "Data object",
    "流程模型": "Process models",
    "模型标识": "Model key",
    "最新版本": "Latest version",
    "草稿": "Draft",
    "有草稿（%(user)s）": "Draft pending (%(user)s)",
    "编辑": "Edit",
    "版本与迁移": "Versions and migration",
    "运行监控": "Live view",
    "还没有流程模型": "No process models yet",
    "新建模型": "New model",
    "小写字母开头，只含小写字母、数字和下划线，例如 food_licence": (
        "Starts with a lowercase letter; lowercase letters, digits and underscores only, e.g. "
        "food_licence"
    ),
    "模型名称": "Model name",
    "起点": "Start from",
    "空白模型（综合受理窗口：开始 → 受理 → 办结）": (
        "Blank model (one-stop window: start → intake → end)"
    ),
    "复制：%(name)s": "Copy of %(name)s",
    "最新版本 v%(version)s": "latest version v%(version)s",
    "尚未部署": "not deployed yet",
    "返回模型列表": "Back to the models",
    "模型页面": "Model pages",
    "流程图与表单": "Diagram and forms",
    "版本": "Version",
    "刷新": "Refresh",
    "每个步骤旁的标记：当前等待的办件数 · 平均停留时间（已完成的步骤）。": (
        "The badge beside each step: cases waiting there now · average time they stayed "
        "(completed steps)."
    ),
    "流程图（只读）": "Process diagram (read-only)",
    "各步骤统计": "Per-step statistics",
    "平均停留（小时）": "Average stay (hours)",
    "该模型尚未部署过版本": "This model has never been deployed",
    "版本历史": "Version history",
    "部署人": "Deployed by",
    "部署时间": "Deployed at",
    "变更说明": "Change note",
    "文件下载": "Files",
    "%(count)s 个文件": "%(count)s file(s)",
    "版本比较": "Compare versions",
    "从版本": "From version",
    "到版本": "To version",
    "比较": "Compare",
    "变化": "Change",
    "办件迁移": "Case migration",
    "先试迁移，查看每个办件能否迁移及原因；再迁移所选办件。每次迁移都记入办件的历史。": (
        "Do a dry run first to see whether each case can move and why not; then move the chosen "
        "cases. Every move is written to the case's history."
    ),
    "目标版本": "Target version",
    "最新": "latest",
    "试迁移": "Dry run",
    "迁移所选办件": "Move the chosen cases",
    "全选": "Select all",
    "当前版本": "Current version",
    "当前步骤": "Current steps",
    "试迁移结果": "Dry-run result",
    "模型操作": "Model actions",
    "保存草稿": "Save draft",
    "部署前必填": "required to deploy",
    "编辑内容": "What to edit",
    "流程图编辑器": "Process diagram editor",
    "元素属性": "Element properties",
    "画布快捷键：Ctrl+F 查找并选中元素，Ctrl+Z 撤销，Ctrl+Y 重做，Ctrl+S 保存草稿。": (
        "Canvas keys: Ctrl+F finds and selects an element, Ctrl+Z undo, Ctrl+Y redo,"
        " Ctrl+S saves the draft."
    ),
    "校验结果": "Validation result",
    "表单文件": "Form file",
    "新表单文件名": "New form file name",
    "小写字母、数字和下划线；将创建 forms/<名称>.schema.json 与 .uischema.json": (
        "Lowercase letters, digits and underscores; creates forms/<name>.schema.json and "
        ".uischema.json"
    ),
    "新建表单": "New form",
    "JSON Schema": "JSON Schema",
    "Tab 键插入两个空格；Esc 后再按 Tab 离开编辑框。": (
        "Tab inserts two spaces; press Esc, then Tab, to leave the editor."
    ),
    "UI Schema（可选）": "UI schema (optional)",
    "预览（窗口人员看到的表单）": "Preview (the form as clerks see it)",
    "决策表（DMN）保存在模型草稿中，可在业务规则任务中引用。": (
        "Decision tables (DMN) are saved in the model's draft and can be used by business rule "
        "tasks."
    ),
    "新决策表文件名": "New decision table file name",
    "新建决策表": "New decision table",
    "决策表操作": "Decision table actions",
    "视图": "Views",
    "返回流程图": "Back to the diagram",
    "决策表编辑器": "Decision table editor",
    # Approval chains (web/chains_admin.py, templates/chains/)
    "审批链配置": "Approval chains",
    "审批链决定审批步骤由谁、以何种方式、在什么条件下审批。": (
        "An approval chain says who approves an approval step, how, and when."
    ),
    "修改保存为新版本：自生效时间起，办件进入下一审批层级即按新版本执行。": (
        "Changes are saved as a new version: from its effective time, cases follow it at "
        "their next level."
    ),
    "审批链标识只能包含字母、数字、点、下划线和连字符": (
        "A chain key may only contain letters, digits, dots, underscores and hyphens"
    ),
    "标识须与流程模型中用户任务的 approvalChain 属性一致，如 enterprise_startup.amr。": (
        "The key must match the approvalChain property of the model's user task, "
        "e.g. enterprise_startup.amr."
    ),
    "尚无审批链": "No approval chains yet",
    "新建审批链": "New approval chain",
    "新建": "New",
    "全部": "All",
    "标识": "Key",
    "层级": "Levels",
    "生效版本": "Version in force",
    "生效时间": "Effective from",
    "说明": "Note",
    "尚未生效": "Not in force yet",
    "（最新 v%(v)s）": " (latest v%(v)s)",
    "基于第 %(v)s 版编辑": "editing from version %(v)s",
    "适用范围": "Scope",
    "审批层级": "Levels",
    "第 %(n)s 级": "Level %(n)s",
    "层级名称": "Level name",
    "如：科长审核": "e.g. Section chief review",
    "审批人规则": "Approvers",
    "规则取值": "Rule value",
    "角色代码；部门负责人可留空（本部门）；指定人员用逗号分隔用户名；数据字段如 reviewer": (
        "Role code; department head may be left empty (this department); named users as "
        "comma-separated usernames; a data field such as reviewer"
    ),
    "审批方式": "Mode",
    "通过比例（按比例通过时）": "Ratio (ratio mode)",
    "条件（为假时跳过本级）": "Condition (the level is skipped when false)",
    "序号": "Order",
    "上移": "Up",
    "下移": "Down",
    "上移第 %(n)s 级": "Move level %(n)s up",
    "下移第 %(n)s 级": "Move level %(n)s down",
    "删除本级": "Remove level",
    "添加层级": "Add a level",
    "新增层级：填写下面一组": "New level: fill in the fields below",
    "预览": "Preview",
    "按本页（未保存）的层级，预览某个办件或样例数据会交给哪些人审批。": (
        "Preview who would approve a case or sample data with the levels on this page (unsaved)."
    ),
    "或样例数据（JSON）": "or sample data (JSON)",
    "预览结果": "Preview result",
    "是否执行": "Runs",
    "执行": "Runs",
    "跳过（条件不成立）": "Skipped (condition is false)",
    "审批人": "Approvers",
    "需同意": "Approvals needed",
    "条件无法计算，按执行处理：": "The condition could not be evaluated; the level runs: ",
    "回避（申请人本人）：": "Removed (the applicant): ",
    "无人可审，转部门负责人": "No approver: falls to the department head",
    "无人可审，转系统管理员": "No approver: falls to the administrator",
    "保存为新版本": "Save as a new version",
    "修改说明": "Change note",
    "生效时间（留空立即生效）": "Effective from (empty: now)",
    "已保存审批链 %(key)s 第 %(version)s 版": "Saved approval chain %(key)s version %(version)s",
    "保存时间": "Saved at",
    "变更": "Changes",
    "生效中": "In force",
    "载入编辑": "Load to edit",
    "尚无版本：保存后生成第 1 版": "No versions yet: saving makes version 1",
    "部门角色": "Role in the department",
    "部门负责人": "Department head",
    "指定人员": "Named users",
    "办件数据中的人员": "User from the case data",
    "企业服务专员": "Enterprise service commissioner",
    "单人审批": "Single approver",
    "会签（全部同意）": "All must approve (会签)",
    "或签（任一人）": "Any one approves (或签)",
    "依次审批": "One after another",
    "按比例通过": "By ratio",
    # Task operations (办理操作), comments, 抄送 and notifications (web/operations_pages.py)
    "办理操作": "Task actions",
    "退回到": "Send back to",
    "退回原因": "Reason for sending back",
    "由 %(user)s 从“%(step)s”退回": "Sent back by %(user)s from “%(step)s”",
    "已退回": "Sent back",
    "转办给": "Transfer to",
    "已转办": "Transferred",
    "委派": "Delegate",
    "委派给": "Delegate to",
    "已委派": "Delegated",
    "被委派人办理后，任务交回您确认办理": (
        "The delegate works on the task, then it comes back to you to complete."
    ),
    "本任务由 %(owner)s 委派，办理后交回委派人": (
        "Delegated by %(owner)s: when you have done it, it goes back to them."
    ),
    "加签": "Add a co-signer",
    "加签人": "Co-signer",
    "加签人（用户名，多个以逗号分隔）": "Co-signers (user names, separated by commas)",
    "方式": "How",
    "前加签": "Before",
    "后加签": "After",
    "前加签：加签人先签署，再由您办理": "Before: the co-signers answer first, then you decide",
    "后加签：您办理后，加签人均同意方可流转": (
        "After: once you have completed, the step moves on only when all co-signers agree"
    ),
    "已加签": "Co-signers added",
    "减签": "Remove co-signers",
    "取消以下加签人": "Remove these co-signers",
    "已减签": "Co-signers removed",
    "待签署": "Waiting for an answer",
    "待办理人提交后签署": "Answers after the assignee has completed",
    "已签署": "Answered",
    "等待加签人签署意见": "Waiting for the co-signers' answers",
    "签署意见": "Your answer",
    "提交意见": "Submit the answer",
    "已签署意见": "Answer submitted",
    "加签意见": "Co-signer's answer",
    "催办": "Urge",
    "催办说明": "Note with the reminder",
    "已催办": "Reminder sent",
    "撤回": "Withdraw",
    "已撤回": "Withdrawn",
    "下一步骤尚未处理时，可撤回您办理的步骤": (
        "You can withdraw a step you completed while nobody has worked on the next one yet."
    ),
    "抄送": "Copy to",
    "抄送给（用户名，多个以逗号分隔）": "Copy to (user names, separated by commas)",
    "已抄送": "Copied",
    "抄送人": "Copied by",
    "抄送我的": "Copied to me",
    "查看办件": "Open the case",
    "查看（未读）": "Open (unread)",
    "暂无抄送给您的办件": "No cases have been copied to you",
    "意见与附件": "Comments and attachments",
    "暂无意见": "No comments yet",
    "附件（PDF、JPEG、PNG、DOCX、XLSX，每个不超过 10 MB）": (
        "Attachments (PDF, JPEG, PNG, DOCX, XLSX; at most 10 MB each)"
    ),
    "发表意见": "Post the comment",
    "意见已发表": "Comment posted",
    "消息": "Messages",
    "%(count)s 条未读": "%(count)s unread",
    "新待办": "New task",
    "未读": "Unread",
    "内容": "Message",
    "标为已读": "Mark as read",
    "全部标为已读": "Mark all as read",
    "已将 %(count)s 条消息标为已读": "%(count)s messages marked as read",
    "暂无消息": "No messages",
    "收到消息": "Message received",  # a BPMN message delivered by another system
    # Security: log-in, users, the audit log (web/auth.py, web/users_admin.py, web/audit.py)
    "安全审计": "Security audit",
    "用户管理": "Users",
    "记录登录、令牌的签发与吊销、用户启停，以及事项、审批链和工作日历的修改。": (
        "Log-ins, tokens issued and revoked, users disabled and enabled, and changes to "
        "service items, approval chains and the working-day calendar."
    ),
    "用户": "User",
    "对象": "Target",
    "地址": "Address",
    "没有记录": "No entries",
    "登录成功": "Logged in",
    "登录失败": "Log-in failed",
    "登录被限制": "Log-in throttled",
    "退出登录": "Logged out",
    "会话过期": "Session ended",
    "签发令牌": "Token issued",
    "吊销令牌": "Token revoked",
    "停用用户": "User disabled",
    "启用用户": "User enabled",
    "修改事项": "Service item changed",
    "修改审批链": "Approval chain changed",
    "修改工作日历": "Calendar changed",
    "用户不存在": "unknown user",
    "密码错误": "wrong password",
    "用户已停用": "user disabled",
    "用户名或密码错误": "Wrong username or password",
    "登录失败次数过多，请 %(minutes)s 分钟后再试": (
        "Too many failed log-ins: try again in %(minutes)s minutes"
    ),
    "停用离岗人员的账号：停用后不能登录，已登录的会话和签发的令牌立即失效；其办理记录保留。": (
        "Disable the account of someone who left: they can no longer log in, their "
        "sessions and tokens stop working at once, and their records stay."
    ),
    "姓名": "Name",
    "启用": "Enabled",
    "已停用": "Disabled",
    "停用": "Disable",
    "已启用用户 %(name)s": "User %(name)s enabled",
    "已停用用户 %(name)s，其登录会话和令牌已全部失效": (
        "User %(name)s disabled; their sessions and tokens no longer work"
    ),
    # 服务监督员 opinions and the quarterly evaluation report (web/monitors.py)
    "监督评议": "Monitor opinions",
    "季度": "Quarter",
    "导出表格": "Export spreadsheet",
    "意见 %(n)s 条，转督办 %(s)s 条，已销号 %(c)s 条": (
        "%(n)s opinions, %(s)s made supervision items, %(c)s closed"
    ),
    "平均评分": "average score",
    "提交监督意见": "File an opinion",
    "评分（1–5）": "Score (1–5)",
    "评分": "Score",
    "监督意见": "Opinion",
    "监督意见已提交": "Opinion filed",
    "监督员": "Monitor",
    "办件": "Case",
    "提交时间": "Filed at",
    "转为督办": "Make a supervision item",
    "已转为督办事项 %(no)s": "Made supervision item %(no)s",
    "本季度还没有监督意见": "No opinions this quarter",
    "未转督办": "Not supervised",
    "督办中": "Under supervision",
    "已反馈待审核": "Answered, awaiting review",
    # 企业服务专员 (web/commissioners.py)
    "我的企业": "My enterprises",
    "企业服务": "Enterprises",
    "企业名称": "Enterprise",
    "在办": "Open",
    "办结期限": "Due",
    "未指定": "Not assigned",
    "已指定企业服务专员": "Commissioner assigned",
    "指定企业服务专员（用户名）": "Assign a commissioner (username)",
    "记录走访": "Log a visit",
    "走访日期": "Visit date",
    "走访情况": "Notes",
    "走访记录": "Visits",
    "走访记录已保存": "Visit saved",
    "还没有分配给您的企业": "No enterprises assigned to you yet",
    "还没有走访记录": "No visits yet",
    # SMS outbox (web/sms_pages.py)
    "短信发件箱": "SMS outbox",
    "手机号": "Phone",
    "演示与测试使用记录网关：短信只记录在此，不会真正发出。": (
        "The demo and the tests use the recording gateway: messages are kept here, never sent."
    ),
    "还没有短信": "No messages yet",
    "零跑动": "Zero visits",
    # 网上申报 pages (web/online_pages.py, templates/online/)
    "在线申报": "Apply online",
    "名称或姓名": "Name",
    "PDF、JPEG 或 PNG，每个文件不超过 10 MB": "PDF, JPEG or PNG, at most 10 MB each",
    "提交申报": "Submit the application",
    "申报已提交": "Application submitted",
    "请记下办件编号和查询密码：窗口预审后，可在进度查询页查看进度、上传补正材料。": (
        "Note the case number and query password: after the window's pre-review, the progress "
        "page shows where the case is and takes any missing materials."
    ),
    "补正告知": "Missing materials",
    "补正材料": "Missing materials",
    "上传补正材料": "Upload the missing materials",
    "已上传 %(count)s 个文件，窗口将尽快审核": (
        "%(count)s files uploaded; the window will review them"
    ),
    # 政策解读专区 and the large-text mode (web/policy_pages.py)
    "政策解读": "Policy explained",
    "专题": "Topic",
    "发布": "Publish",
    "搜索": "Search",
    "已发布政策解读": "Article published",
    "正文（Markdown）": "Text (Markdown)",
    "没有找到政策解读": "No articles found",
    "大字模式": "Large text",
    "标准模式": "Standard view",
    "结果送达": "Result delivered",
    "邮寄单号": "Tracking number",
    "下载电子证照": "Download the e-licence",
    "帮办代办：窗口工作人员或企业服务专员可免费帮您办理。": (
        "Assisted service: a window clerk or an enterprise service commissioner will do it for "
        "you, free of charge."
    ),
    # 绩效考核 scorecards (web/scorecards.py, web/templates/scorecards/)
    "绩效考核": "Performance",
    "大屏": "Hall display",
    "政务服务绩效大屏": "Service performance display",
    "每 %(seconds)s 秒自动刷新": "Refreshes every %(seconds)s seconds",
    "考核对象": "Rows by",
    "窗口": "Window",
    "统计明细": "Cases behind the figure",
    "共 %(count)s 件": "%(count)s cases",
    "该期间没有可统计的办件": "No cases to count in this period",
    "月度趋势": "Monthly trend",
    "在办件亮灯分布": "Open cases by light",
    "评价等级分布": "Ratings by level",
    "综合得分排名": "Ranking by score",
    "本期没有可评分的对象": "Nothing to score in this period",
    "目前没有在办件": "No open cases now",
    "排名": "Rank",
    "编码": "Code",
    "办结件数": "Finished",
    "按期办结率": "On time",
    "提前办结率": "Early",
    "超期件数": "Overdue",
    "平均办理工作日": "Average working days",
    "好评率": "Good ratings",
    "差评整改率": "Bad ratings rectified",
    "主动评价率": "Proactive ratings",
    "一次办成率": "Done in one go",
    "补正率": "Supplement rate",
    "不予受理率": "Refusal rate",
    "督办按期反馈率": "Supervision answered on time",
    "综合得分": "Score",
    "过程挖掘": "Process mining",
    "各环节平均用时（工作日）": "Average time per step (working days)",
    "瓶颈": "bottleneck",
    "等待": "Waiting",
}


# jsonschema's ``type`` names → the message telling a clerk what to type instead.
def current_language() -> str:
    """The request's language; "zh" outside a request so CLI output and tests stay Chinese."""
    if has_app_context():
        return g.get("lang", DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def gettext(text: str, **kwargs: Any) -> str:
    """Translate a Chinese message id for the current language, then interpolate ``%(name)s``.

    Missing English entries fall back to the Chinese text rather than failing, because a half
    translated page is better for a clerk than an error.
    """
    if current_language() == "en":
        text = EN_CATALOG.get(text, text)
    return text % kwargs if kwargs else text


def language_url(lang: str) -> str:
    """The current page's URL with ``lang`` switched, keeping every other query argument."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args.append(("lang", lang))
    return f"{request.script_root}{request.path}?{urlencode(args)}"


def init_app(app: Flask) -> None:
    """Choose the language per request, remember an explicit choice, expose ``_`` to Jinja."""
    app.before_request(_select_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        _=gettext, current_language=current_language, language_url=language_url
    )


def _select_language() -> None:
    """``?lang=`` wins over the cookie so a shared link can force a language."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE_NAME)):
        if candidate in LANGUAGES:
            g.lang = candidate
            return
    g.lang = DEFAULT_LANGUAGE


def _remember_language(response: Response) -> Response:
    """Store an explicit ``?lang=`` choice so the following pages keep it."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(COOKIE_NAME) != chosen:
        response.set_cookie(
            COOKIE_NAME, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response
