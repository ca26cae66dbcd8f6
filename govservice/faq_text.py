"""Text normalization and tokens for FAQ retrieval and for clustering unanswered questions.

Citizens type full-width characters, traditional characters and punctuation at random; both the
search index and the question clusters compare the normalized text, so they agree on what counts
as "the same words".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Dict, FrozenSet, List, Mapping, Tuple

import jieba

from govservice import lexicon
from govservice.config import ROOT
from govservice.knowledge import load_knowledge_base

USER_DICT = ROOT / "build" / "jieba_dict" / "userdict.txt"
"""The catalog's jieba dictionary, written by ``python -m govservice.nlu_export`` (optional here)."""

# Common traditional characters and their simplified forms ("繁简" pairs). A table instead of a
# converter package: a few hundred characters cover what citizens type in service questions.
_PAIRS = """
與与 個个 們们 來来 時时 為为 這这 說说 會会 對对 國国 發发 後后 裡里 裏里 開开 關关 問问 題题 還还 現现 經经
實实 點点 從从 動动 樣样 學学 長长 麼么 麽么 無无 業业 證证 護护 辦办 駕驾 駛驶 車车 戶户 號号 碼码 費费 錢钱
補补 換换 領领 掛挂 請请 報报 記记 錄录 醫医 療疗 險险 養养 積积 結结 離离 產产 權权 屬属 稅税 務务 納纳 營营
執执 殘残 聯联 習习 網网 線线 綫线 預预 約约 廳厅 熱热 話话 電电 訴诉 評评 價价 處处 認认 帳账 賬账 錯错 誤误
驗验 數数 據据 資资 傳传 遞递 郵邮 給给 幫帮 嗎吗 塊块 幾几 週周 調调 單单 續续 須须 帶带 該该 誰谁 過过 達达
進进 遷迁 轉转 鄉乡 區区 縣县 鎮镇 濟济 貸贷 購购 買买 賣卖 職职 員员 勞劳 齡龄 歲岁 兒儿 嬰婴 媽妈 爺爷 親亲
陸陆 灣湾 門门 簽签 註注 檢检 體体 歷历 曆历 紀纪 書书 寫写 讀读 園园 標标 準准 規规 則则 條条 機机 構构 藥药
診诊 斷断 總总 額额 計计 獎奖 勵励 貼贴 應应 當当 隨随 邊边 遠远 異异 鐘钟 頭头 臉脸 識识 別别 盜盗 竊窃 損损
壞坏 舊旧 筆笔 紙纸 質质 樓楼 層层 兩两 萬万 億亿 雙双 幣币 銀银 啟启 啓启 設设 備备 獲获 綁绑 臺台 響响 態态
狀状 況况 擔担 負负 責责 義义 圖图 頁页 項项 類类 種种 選选 擇择 參参 專专 範范 圍围 團团 齊齐 裝装 環环 衛卫
聽听 視视 覺觉 聾聋 啞哑 監监 撫抚 贍赡 遺遗 繼继 節节 慶庆 間间 館馆 廣广 場场 圓圆 滿满 夠够 畢毕 憑凭 級级
導导 師师 雜杂 稱称 眾众 衆众 罰罚 違违 輛辆 舉举 鬧闹 講讲 讓让 訊讯 簡简 內内 閉闭 閒闲 聞闻 閱阅 隊队 陽阳
際际 隱隐 難难 雖虽 靈灵 靜静 順顺 頻频 顧顾 風风 飛飞 飯饭 馬马 駐驻 黨党 僅仅 優优 儲储 冊册 劃划 協协 卻却
壓压 喪丧 嚴严 壯壮 奪夺 孫孙 寧宁 審审 寶宝 將将 尋寻 屆届 島岛 幹干 庫库 廢废 廠厂 張张 強强 彙汇 匯汇 滙汇
徑径 復复 複复 徵征 慣惯 懷怀 戰战 擁拥 擬拟 擴扩 攝摄 敗败 暫暂 曉晓 東东 極极 榮荣 樂乐 橋桥 檔档 歡欢 歸归
殺杀 氣气 決决 沒没 測测 溝沟 滅灭 漢汉 潔洁 澤泽 災灾 爭争 爾尔 獨独 畫画 盤盘 確确 禮礼 穩稳 窮穷 競竞 築筑
籌筹 糧粮 級级 細细 終终 組组 絕绝 統统 維维 綜综 緊紧 編编 緩缓 練练 織织 繳缴 聖圣 聲声 興兴 藝艺 蘇苏 製制
覽览 觀观 訂订 討讨 訓训 託托 許许 詢询 試试 詳详 誌志 語语 誠诚 課课 談谈 論论 諮咨 變变 豐丰 財财 貨货 貿贸
賓宾 賽赛 趕赶 跡迹 軍军 軟软 輕轻 載载 輸输 轄辖 農农 運运 遊游 適适 遲迟 鄰邻 釋释 針针 鐵铁 鑑鉴 鑒鉴 陳陈
隻只 雲云 頒颁 願愿 餘余 鬆松 麗丽 妳你 纔才 衝冲 唄呗 囉啰 繫系 係系 償偿 戲戏 彈弹 勁劲 區区 畝亩 債债 倉仓
傷伤 價价 僑侨 劉刘 華华 葉叶 蔣蒋 薦荐 藍蓝 紅红 綠绿 黃黄 顏颜 飾饰 鍵键 錶表 鏈链 閘闸 隨随 驟骤 鬥斗 龍龙
搬搬 壽寿 屍尸 喚唤 嘆叹 圍围 夥伙 奧奥 嬸婶 寬宽 寢寝 尷尴 屬属 岡冈 峽峡 帥帅 廟庙 彌弥 惱恼 惡恶 慮虑 憂忧
懶懒 戀恋 搶抢 擊击 擋挡 據据 擠挤 攔拦 敘叙 暈晕 査查 樸朴 歎叹 殯殡 湧涌 溫温 滯滞 濕湿 爐炉 犧牺 猶犹 獄狱
瑪玛 癒愈 癢痒 盞盏 碼码 祿禄 禍祸 稟禀 窩窝 竄窜 箏筝 簾帘 紛纷 純纯 紮扎 絲丝 綱纲 網网 縮缩 繪绘 罈坛 羅罗
聰聪 肅肃 膚肤 艙舱 蘭兰 蟲虫 術术 襪袜 襯衬 訝讶 診诊 詐诈 詞词 誇夸 認认 誤误 謝谢 謊谎 謠谣 譯译 議议 讚赞
豬猪 貓猫 貧贫 貼贴 賀贺 賠赔 賴赖 贈赠 贏赢 踐践 蹤踪 軌轨 輔辅 輪轮 辭辞 邏逻 醜丑 鈔钞 鉤钩 銷销 鋪铺 錄录
鍋锅 鎖锁 鑰钥 閃闪 閣阁 闊阔 隸隶 雜杂 雞鸡 霧雾 靂雳 韓韩 頂顶 頓顿 頗颇 頸颈 顆颗 顯显 飄飘 餐餐 饑饥 駁驳
騙骗 騰腾 驚惊 髒脏 鬍胡 魯鲁 鮮鲜 鳳凤 鴨鸭 鵝鹅 鹽盐 麵面 黴霉 齒齿
"""
_T2S = {pair[0]: pair[1] for pair in _PAIRS.split() if pair[0] != pair[1]}
_TABLE = str.maketrans(_T2S)
_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff*#]+")
# Fillers dropped from search terms, and the ways of asking the same thing (费用: 多少钱, 收费…),
# each adding one shared concept term: both are word lists of the lexicon.
STOPWORDS: FrozenSet[str] = frozenset(lexicon.words("faq_stopwords"))
CONCEPTS: Mapping[str, Tuple[str, ...]] = lexicon.groups("faq_concepts")

_lock = threading.Lock()


def normalize(text: str) -> str:
    """Return the text in half-width, lower case, simplified characters and without punctuation.

    Masked digits (``*``) are kept, so redacted numbers still read as a number in clusters.

    >>> normalize("身份證　丢了，怎麼辦？")
    '身份证丢了怎么办'
    """
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_TABLE)
    return _NOT_WORD.sub("", text)


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
