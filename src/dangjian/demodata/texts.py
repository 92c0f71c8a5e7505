"""What the simulated people write: the month's themes, reflections, comments, replies
and summaries, and the phones they write with."""

import random
from collections.abc import Iterable
from datetime import date

# A theme for each calendar month, as a city's organization department might set them.
THEMES = {
    1: "新春走访慰问 温暖送到家",
    2: "学习贯彻全会精神",
    3: "学雷锋 志愿服务在行动",
    4: "缅怀革命先烈 传承红色基因",
    5: "劳动创造幸福 党员当先锋",
    6: "学党章 守党纪 强党性",
    7: "庆祝建党 重温入党誓词",
    8: "乡村振兴 党员先行",
    9: "为民办实事 服务解难题",
    10: "爱国主义教育 砥砺初心使命",
    11: "廉洁自律 警钟长鸣",
    12: "年终述职 民主评议党员",
}
REFLECTIONS = (
    "通过本次主题党日活动，深受教育。",
    "重温入党誓词，更加坚定了理想信念。",
    "要把学习成果转化为为民服务的实际行动。",
    "作为一名党员，要时刻以党章标准严格要求自己。",
    "感谢支部精心组织，收获很大。",
    "今后要在本职岗位上发挥先锋模范作用。",
    "学习了规定动作，对党的规矩有了更深的理解。",
    "听了大家的发言，找到了自身差距。",
    "要多为群众办实事、解难题。",
    "坚持学习不松劲，做合格党员。",
)
COMMENTS = (
    "活动很有意义，学到了很多。",
    "支部组织得很好，点赞！",
    "希望以后多开展这样的活动。",
    "内容丰富，形式新颖。",
    "在外地也要坚持学习，不掉队。",
)
REPLIES = ("同感！", "说得好。", "一起努力！", "赞同。")
SUMMARY_SENTENCES = (
    "活动开始前，全体党员面向党旗重温入党誓词。",
    "支部书记领学了本月学习内容，并结合本支部实际作了讲解。",
    "党员们按时足额缴纳了党费。",
    "会上通报了上月支部工作情况和本月工作安排。",
    "大家围绕本月主题开展讨论，踊跃发言，交流学习体会。",
    "会议就村（社区）重点事项开展民主议事，形成一致意见。",
    "对党务、村务（居务）事项进行了公开，接受群众监督。",
    "活动结束后，党员志愿者开展了走访慰问和义务劳动。",
    "通过本次活动，党员们进一步增强了党性观念和宗旨意识。",
    "下一步，支部将把学习成果转化为推动工作的实际成效。",
)
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; V2309A) MicroMessenger/8.0.48",
    "Mozilla/5.0 (Linux; Android 13; HUAWEI Mate 40) MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 12; Redmi K40) AppleWebKit/537.36 Chrome/116 Mobile",
)


def summary(rng: random.Random, day: date, branch_name: str, roster: int, present: int) -> str:
    """A summary of 100–900 characters: some branches write a line, most a page."""
    text = (
        f"{day.year}年{day.month}月{day.day}日，{branch_name}在党员活动室开展主题党日活动，"
        f"应到党员{roster}名，实到{present}名。"
    )
    target = rng.choice((100, 250, 400, 450, 600, 900))
    sentences: Iterable[str] = rng.sample(SUMMARY_SENTENCES, len(SUMMARY_SENTENCES))
    for sentence in sentences:
        if len(text) >= target:
            break
        text += sentence
    while len(text) < target:
        text += rng.choice(SUMMARY_SENTENCES)
    return text[:target]
