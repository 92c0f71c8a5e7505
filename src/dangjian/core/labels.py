"""Words for people, not codes: the one place that turns a stored code into what a page
shows. Choice fields say it with their labels (`choice(value, "app.Model.field")` reads
them from the model, whichever app); the codes without a choices field — a check-in
attempt's refusal, a plan's or a rectification's steps, an audit entry's action — are
named here. Templates ask through the `label` and `distance` filters (`{% load words %}`);
a page showing a raw code fails `tests/test_words_not_codes.py`."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def distance(meters) -> str:
    """A distance as a person says it: "850 米" below a kilometre, "1.1 公里" from one,
    "1124.7 公里" far away. None or "" gives ""."""
    if meters is None or meters == "":
        return ""
    meters = float(meters)
    if round(meters) < 1000:
        return gettext("%d 米") % round(meters)
    return gettext("%s 公里") % f"{meters / 1000:.1f}"


# A check-in or check-out attempt refused (attendance.checkin's codes, the attempt log).
REFUSALS = {
    "invalid_token": _("二维码无效或已更换"),
    "not_approved": _("活动未通过审核"),
    "cancelled": _("活动已取消"),
    "not_on_roster": _("不在参加人员名单中"),
    "too_early": _("时间未到"),
    "too_late": _("已过时间"),
    "out_of_range": _("超出签到范围"),
    "imprecise_location": _("定位不准确"),
    "not_checked_in": _("未签到即签退"),
    "reflection_required": _("未填写心得体会"),
    "forbidden_words": _("心得含违禁词"),
    "invalid_code": _("大屏二维码已过期"),
    "already_checked_in": _("已签到"),
}

# A plan's steps (themedays.models.ActivityEvent.action).
ACTIVITY_EVENTS = {
    "draft": _("起草计划"),
    "edit": _("修改计划"),
    "submit": _("提交审核"),
    "submit_late": _("提交补录"),
    "approve": _("审核通过"),
    "reject": _("退回修改"),
    "cancel": _("取消活动"),
    "close": _("活动结束"),
    "import_history": _("历史记录导入"),
    "regenerate_token": _("更换签到码"),
}

# A rectification's steps (supervision.models.RectificationEvent.action).
RECTIFICATION_EVENTS = {
    "open": _("下达整改"),
    "answer": _("报送整改情况"),
    "accept": _("验收通过"),
    "reopen": _("退回重新整改"),
}

# An audit entry's action (audit.models.AuditEntry.action).
AUDIT_ACTIONS = {
    "org.create": _("新建组织"),
    "org.update": _("修改组织"),
    "org.move": _("移动组织"),
    "org.import.create": _("导入新建组织"),
    "org.import.update": _("导入更新组织"),
    "role.grant": _("授予管理员"),
    "role.revoke": _("撤销管理员"),
    "member.create": _("登记党员"),
    "member.update": _("修改党员信息"),
    "member.transfer": _("组织关系转接"),
    "member.leave": _("标记离开"),
    "member.set_password": _("设置密码"),
    "member.reveal_id_number": _("查看完整身份证号"),
    "member.import.create": _("导入登记党员"),
    "member.import.update": _("导入更新党员"),
    "registry.import": _("批量导入"),
    "member.export": _("导出党员名册"),
    "user.change_password": _("修改本人密码"),
    "user.activate": _("短信验证激活账号"),
    "user.reset_password": _("短信验证重置密码"),
    "user.revoke_credentials": _("注销登录凭据"),
    "user.revoke_token": _("吊销接口令牌"),
    "wechat.bind": _("绑定微信"),
    "wechat.unbind": _("解绑微信"),
    "campaign.create": _("发布活动要求"),
    "campaign.update": _("修改活动要求"),
    "campaign.delete": _("删除活动要求"),
    "campaign.supplement": _("补充活动要求"),
    "campaign.attach": _("上传活动附件"),
    "campaign.detach": _("删除活动附件"),
    "campaign.distribute": _("一键下发"),
    "campaign.simulate": _("生成演示数据"),
    "activity.draft": _("起草活动计划"),
    "activity.update": _("修改活动计划"),
    "activity.submit": _("提交活动计划"),
    "activity.submit_late": _("补录活动"),
    "activity.approve": _("审核通过"),
    "activity.reject": _("退回活动计划"),
    "activity.cancel": _("取消活动"),
    "activity.close": _("活动结束"),
    "activity.regenerate_token": _("重新生成签到码"),
    "activity.rate": _("上级评分"),
    "themedays.import_history": _("导入历史主题党日"),
    "themedays.ledger_request": _("生成活动台账"),
    "themedays.ledger_download": _("下载活动台账"),
    "attendance.leave_approve": _("批准请假"),
    "attendance.leave_refuse": _("不批准请假"),
    "attendance.correction_propose": _("申请考勤更正"),
    "attendance.correction_approve": _("批准考勤更正"),
    "attendance.correction_refuse": _("驳回考勤更正"),
    "attendance.rotating_qr": _("设置大屏动态二维码"),
    "photo.upload": _("上传活动照片"),
    "photo.remove": _("删除活动照片"),
    "summary.write": _("填写活动总结"),
    "comment.hide": _("隐藏评论"),
    "item.record": _("记录必备事项"),
    "dues.set_base": _("设置党费基数"),
    "dues.record": _("登记党费缴纳"),
    "dues.cancel": _("撤销党费记录"),
    "scoring.policy": _("发布评分规则"),
    "scoring.recompute": _("重新计算得分"),
    "spot_check.create": _("发起抽查"),
    "spot_check.finding": _("记录抽查结果"),
    "rectification.open": _("下达整改"),
    "rectification.answer": _("报送整改情况"),
    "rectification.accept": _("整改验收通过"),
    "rectification.reopen": _("整改退回重做"),
    "record_review.send_back": _("退回活动记录"),
    "record_review.resubmit": _("补充后重新提交记录"),
    "record_review.pass": _("活动记录审查合格"),
    "supervision.monthly_sheet": _("生成月度督查表"),
    "bulletin.generate": _("生成季度通报"),
    "bulletin.publish": _("发布季度通报"),
    "bulletin.correct": _("更正季度通报"),
    "bulletin.notice": _("发送通报通知"),
    "appraisal.generate": _("生成年度考核"),
    "appraisal.propose": _("提出考核等次"),
    "appraisal.change_grade": _("调整考核等次"),
    "appraisal.confirm": _("确认考核结果"),
    "appraisal_rule.publish": _("发布考核规则"),
    "award.open": _("发起季度评选"),
    "award.advance": _("推进评选阶段"),
    "award.case.submit": _("提交评选材料"),
    "award.nominate": _("推荐评选对象"),
    "award.withdraw": _("撤回推荐"),
    "award.select": _("评选入选"),
    "award.unselect": _("取消入选"),
    "award.publish": _("公布评选结果"),
    "article.create": _("新建学习文章"),
    "article.edit": _("修改学习文章"),
    "article.attach": _("上传文章附件"),
    "article.cover": _("设置文章封面"),
    "article.submit": _("提交文章审核"),
    "article.publish": _("发布学习文章"),
    "article.withdraw": _("撤回学习文章"),
    "question.import": _("导入题库"),
    "question.export": _("导出题库"),
    "question.retire": _("停用试题"),
    "question_category.create": _("新建试题分类"),
    "quiz.create": _("新建学习测试"),
    "quiz.edit": _("修改学习测试"),
    "quiz.publish": _("发布学习测试"),
    "quiz.results_export": _("导出测试成绩"),
    "package.create": _("新建学习套餐"),
    "package.publish": _("发布学习套餐"),
    "package.push": _("推送学习套餐"),
    "citizen.register": _("登记群众"),
    "citizen.update": _("修改群众信息"),
    "citizen.sign_in_refused": _("群众登录被拒"),
    "menu_entry.create": _("新增服务菜单项"),
    "volunteer_order.publish": _("发布点单"),
    "volunteer_order.decline": _("不受理点单"),
    "volunteer_order.cancel": _("取消点单"),
    "volunteer_order.escalate": _("点单上报上级"),
    "volunteer_order.overdue": _("点单逾期"),
    "volunteer_claim.release": _("放弃认领"),
    "volunteer_claim.remove": _("移除认领"),
    "volunteer_claim.record_times": _("登记服务时间"),
    "volunteer_claim.approve_makeup": _("批准补登服务时间"),
    "volunteer_claim.sign_in_refused": _("服务签到被拒"),
    "volunteer_claim.sign_out_refused": _("服务签退被拒"),
    "volunteer_hours.certificate": _("开具志愿服务证明"),
    "volunteer_hours.reverse": _("冲销服务时长"),
    "volunteer_profile.update": _("修改志愿者资料"),
}

# The parts of an activity's score (scoring.formula's component codes).
SCORE_COMPONENTS = {
    "sign_in": _("签到率"),
    "flowing_like": _("流动党员点赞率"),
    "upload": _("资料上传完整度"),
    "comment": _("评论率"),
    "superior": _("上级评分"),
    "study": _("学习套餐完成率"),
}

# Why a photo deserves a second look (interaction.models.Photo.flags).
PHOTO_FLAGS = {
    "time_outside_activity": _("拍摄时间不在活动时段"),
    "far_from_venue": _("拍摄地点远离活动地点"),
    "unverified": _("无拍摄信息，未核验"),
    "late_upload": _("活动结束后补传"),
}

KINDS = {
    "refusal": REFUSALS,
    "score_component": SCORE_COMPONENTS,
    "photo_flag": PHOTO_FLAGS,
    "activity_event": ACTIVITY_EVENTS,
    "rectification_event": RECTIFICATION_EVENTS,
    "audit": AUDIT_ACTIONS,
}


def choice(value, field: str) -> str:
    """The label of `value` among the choices of `field` ("app_label.Model.field")."""
    app_label, model, name = field.split(".")
    choices = dict(apps.get_model(app_label, model)._meta.get_field(name).flatchoices)
    return str(choices.get(value, value))


def label(code, kind: str) -> str:
    """What `code` says to a person: `kind` is one of KINDS or a choices field
    ("themedays.Activity.status"). A code nobody named is shown as it is."""
    if code is None or code == "":
        return ""
    if kind in KINDS:
        return str(KINDS[kind].get(code, code))
    return choice(code, kind)


def _model_field(object_type: str, key: str):
    """The field `key` (or `key` without its `_id`) of the model named "app.model"."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def field_label(object_type: str, key: str) -> str:
    """A stored field's name in words (its model's verbose name), e.g. an audit entry's
    changed `monthly_amount` of "orglife.duesbase" → 每月应交; the key itself when the model
    gives no Chinese name."""
    field = _model_field(object_type, key)
    name = str(getattr(field, "verbose_name", "") or "")
    return name if name and not name.isascii() else key


def field_value(object_type: str, key: str, value):
    """A stored field's value in words when the field has choices, else the value."""
    field = _model_field(object_type, key)
    if field is None or not getattr(field, "choices", None) or not isinstance(value, str):
        return value
    return str(dict(field.flatchoices).get(value, value))


# Keys of audit entries' before/after that name no model field (or a field the model
# leaves without a Chinese name).
AUDIT_FIELDS = {
    "already_noticed": _("已通知过"),
    "sha256": _("文件校验值"),
    "table_version": _("费率表版本"),
    "checkin_opens_before_min": _("提前开放签到（分钟）"),
    "checkin_closes_after_min": _("签到截止（开始后分钟）"),
    "checkout_closes_after_min": _("签退截止（结束后分钟）"),
    "is_late_record": _("补录"),
    "weight_low_scores": _("向低分支部倾斜"),
    "campaign_id": _("活动要求"),
    "reasons": _("列入原因"),
    "month": _("月份"),
    "year": _("年度"),
    "sort_order": _("排序"),
    "volunteers_needed": _("需要人数"),
    "community": _("社区"),
    "by_admin": _("由管理员操作"),
    "member_id": _("党员"),
    "activity_id": _("活动"),
    "finding_id": _("抽查发现"),
    "spot_check_id": _("抽查"),
    "rectification_id": _("整改"),
    "order_id": _("点单"),
    "claim_id": _("认领"),
    "article_id": _("学习文章"),
    "quiz_id": _("学习测试"),
    "package_id": _("学习套餐"),
    "question_id": _("试题"),
    "round_id": _("评选轮次"),
    "bulletin_id": _("季度通报"),
    "photo_id": _("照片"),
    "comment_id": _("评论"),
    "citizen_id": _("群众"),
    "branch": _("党支部"),
    "member": _("党员"),
    "quarter": _("季度"),
    "evidence": _("事迹依据"),
    "is_selected": _("入选"),
    "check_ins": _("签到次数"),
    "volunteer_hours": _("志愿服务时长"),
    "study_minutes": _("学习时长（分钟）"),
    "nomination_deadline": _("推荐截止日期"),
    # A quiz's terms, an article's column and video, a fill-in question's answers.
    "opens_at": _("开始时间"),
    "closes_at": _("截止时间"),
    "time_limit": _("答题时限"),
    "attempts_allowed": _("可作答次数"),
    "grading_method": _("计分方式"),
    "pass_mark": _("及格分"),
    "shuffle_options": _("打乱选项顺序"),
    "review_policy": _("答案公布"),
    "column_id": _("栏目"),
    "video_url": _("视频链接"),
    "accepted": _("填空题答案"),
}
# Values of audit entries that are codes of no choices field.
AUDIT_VALUES = {
    "no_approved_plan": _("无审核通过的计划"),
    "not_held": _("未开展"),
    "low_sign_in": _("签到率偏低"),
    "items_missing": _("规定动作缺项"),
    "sent_back": _("退回未补充"),
    "overdue_rectification": _("整改逾期"),
    "problems": _("发现问题"),
    "pending": _("待处理"),
}


def any_choice(value: str) -> str | None:
    """The label of `value` in the first choices field of the project that has it."""
    for model in apps.get_models():
        if not model.__module__.startswith("dangjian."):
            continue
        for field in model._meta.get_fields():
            for stored, name in getattr(field, "flatchoices", None) or ():
                if stored == value:
                    return str(name)
    return None


def audit_field(object_type: str, key: str) -> str:
    if key in AUDIT_FIELDS:
        return str(AUDIT_FIELDS[key])
    if key in AUDIT_VALUES:  # counts by reason, e.g. {"low_sign_in": 3}
        return str(AUDIT_VALUES[key])
    return field_label(object_type, key)


def _key(object_type: str, key: str) -> str:
    """A mapping's key in words; a short code nobody named (a file kind: pdf) in capitals."""
    worded = audit_field(object_type, key)
    return key.upper() if worded == key and len(key) <= 4 else worded


def audit_value(object_type: str, key: str, value):
    """An audit entry's stored value in words: a choice's label, a known code's name, a
    list item by item, a mapping key by key; anything else as it is."""
    if isinstance(value, list):
        return "、".join(str(audit_value(object_type, key, v)) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(
            f"{_key(object_type, k)}: {str(audit_value(object_type, k, v))[:12]}"
            for k, v in value.items()
        )
    if not isinstance(value, str):
        return value
    worded = field_value(object_type, key, value)
    if worded != value:
        return worded
    if value in AUDIT_VALUES:
        return str(AUDIT_VALUES[value])
    if value.isascii() and value.isidentifier() and value.islower():
        return any_choice(value) or value
    return value
