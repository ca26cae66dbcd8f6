"""Text normalization and tokens for FAQ retrieval and for clustering unanswered questions.

Citizens type full-width characters, traditional characters and punctuation at random; both the
search index and the question clusters compare the normalized text, so they agree on what counts
as "the same words".
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Dict, FrozenSet, List, Tuple

import jieba

from govservice.config import ROOT
from govservice.knowledge import load_knowledge_base
from govservice.retrieval import simplified

USER_DICT = ROOT / "build" / "jieba_dict" / "userdict.txt"
"""The catalog's jieba dictionary, written by ``python -m govservice.nlu_export`` (optional here)."""

_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff*#]+")
# Only fillers: question words (怎么, 多少钱, 在哪) tell entries about the same service apart.
STOPWORDS: FrozenSet[str] = frozenset(
    "的 了 吗 呢 啊 吧 呀 嘛 哦 噢 么 啦 哈 呐 嗯 请问 请 你好 您好 麻烦 一下 我 我们 你 你们 您 想 问 问下 下 个 "
    "就 都 是 在 有 和 跟 还 也 这个 那个 这 那 给 把 被 哪位 谢谢".split()
)

# Ways of asking the same thing. A question "结婚登记多少钱" must meet an entry "领结婚证收费吗":
# each group adds one shared term, so the wording no longer decides alone.
CONCEPTS: Dict[str, Tuple[str, ...]] = {
    "费用": (
        "多少钱",
        "收费",
        "费用",
        "工本费",
        "要钱",
        "交钱",
        "收钱",
        "花钱",
        "掏钱",
        "免费",
        "几块钱",
        "价格",
        "登记费",
        "手续费",
        "学费",
    ),
    "时长": ("多久", "几天", "多长时间", "时限", "多少天", "工作日", "多快", "要等", "几个月能"),
    "地点": ("在哪", "哪里", "去哪", "地址", "什么地方", "哪儿", "几楼", "位置", "哪个窗口"),
    "钟点": ("几点", "上班", "下班", "开门", "关门", "办公时间", "工作时间", "营业时间"),
    "材料": ("带什么", "材料", "要什么", "准备什么", "需要什么", "带啥", "要啥"),
    "流程": ("怎么办", "流程", "步骤", "手续", "怎么弄", "咋办", "咋弄", "咋整", "怎么申请", "如何办理", "怎么搞"),
    "代办": ("代办", "委托", "帮我办", "替我", "代为", "代开", "别人帮"),
    "异地": ("异地", "外地", "外省", "跨省", "不是本地", "非本地", "户籍地", "老家", "回原籍", "非户籍"),
    "丢失": ("丢了", "丢失", "遗失", "掉了", "不见了", "找不到", "被偷", "弄丢", "丢掉"),
    "到期": ("到期", "过期", "期满", "有效期"),
    "网办": ("网上", "在线", "手机上", "app", "线上", "网办", "小程序"),
    "预约": ("预约", "约时间", "提前约"),
    "投诉": ("投诉", "举报", "不满意", "差评"),
    "儿童": ("小孩", "孩子", "宝宝", "婴儿", "新生儿", "儿童", "未成年", "小朋友", "娃"),
    "老人": ("老人", "老年人", "父母", "爸妈", "长辈"),
    "邮寄": ("邮寄", "快递", "寄到", "送到家", "寄给"),
    "补办": ("补办", "补领", "补证", "补发", "补一个", "补个"),
    "换证": ("换证", "换领", "换发", "换本", "换新", "换驾照", "换身份证"),
    "周末": ("周末", "周六", "周日", "星期六", "星期天", "星期日", "礼拜"),
    "假日": ("节假日", "放假", "春节", "国庆", "五一", "过年"),
}

_lock = threading.Lock()


def normalize(text: str) -> str:
    """Return the text in half-width, lower case, simplified characters (OpenCC) and without punctuation.

    Masked digits (``*``) are kept, so redacted numbers still read as a number in clusters.

    >>> normalize("身份證　丢了，怎麼辦？")
    '身份证丢了怎么办'
    """
    return _NOT_WORD.sub("", simplified(text))


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with the catalog's user dictionary when it has been generated.

    A private instance, so loading the dictionary never changes the global one Rasa uses.
    """
    instance = jieba.Tokenizer()
    with _lock:
        instance.initialize()
        if USER_DICT.exists():
            instance.load_userdict(str(USER_DICT))
    return instance


def words(text: str) -> List[str]:
    """Search-mode jieba words of the normalized text, fillers dropped.

    Search mode also yields the short words inside long dictionary words ("身份证补办" → "身份证",
    "补办"), so a question matches whichever way a citizen or an editor compounded the words.
    """
    normalized = normalize(text)
    return [w for w in tokenizer().lcut_for_search(normalized) if w.strip() and w not in STOPWORDS]


def char_bigrams(text: str) -> List[str]:
    """Overlapping character pairs of the normalized text (one character for a one-character text).

    Bigrams survive typos, odd segmentation and missing dictionary words.
    """
    normalized = normalize(text)
    if len(normalized) < 2:
        return [normalized] if normalized else []
    return [normalized[i : i + 2] for i in range(len(normalized) - 1)]


@lru_cache(maxsize=1)
def topic_cues() -> Dict[str, str]:
    """Every name of a catalog topic or item (topic synonyms, item names and aliases) → its topic."""
    kb = load_knowledge_base()
    cues = {normalize(word): topic["topic"] for topic in kb.topics for word in [topic["topic"], *topic["synonyms"]]}
    for item in kb.items:
        for word in [item["name"], *item.get("aliases", [])]:
            cues.setdefault(normalize(word), item["topic"])
    return {cue: topic for cue, topic in cues.items() if len(cue) >= 2}


def concepts(text: str) -> List[str]:
    """Concept terms (``#费用``, ``#t:居民身份证``, ...) for the ways of asking and the topics named."""
    normalized = normalize(text)
    found = {f"#{name}" for name, cues in CONCEPTS.items() if any(cue in normalized for cue in cues)}
    found.update(f"#t:{topic}" for cue, topic in topic_cues().items() if cue in normalized)
    return sorted(found)


def answer_terms(text: str) -> List[str]:
    """Terms of an answer text: words and marked bigrams; concepts would match every answer."""
    return words(text) + ["@" + gram for gram in char_bigrams(text)]


def terms(text: str) -> List[str]:
    """Index terms: jieba words, marked character bigrams and concept terms, which never mix."""
    return words(text) + ["@" + gram for gram in char_bigrams(text)] + concepts(text)


def jaccard(first: FrozenSet[str], second: FrozenSet[str]) -> float:
    """Jaccard similarity of two sets; 0 when both are empty."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0
