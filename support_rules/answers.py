"""Reading the customer's short answers: one definition of each rule, no Rasa.

The conversation asks yes/no questions, ratings and contact details, and has to tell
an answer from a question, a correction, a request to start over or the news that the
customer is about to call. Every such reading lives here, once, so the action modules
never carry their own word lists.

All functions take the raw message text; they fold it with Unicode NFKC first, so
full-width letters, digits and ``？`` behave like their ASCII forms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from support_rules.contracts import Contract, parse_contract
from support_rules.severity import SEVERITIES, Severity
from tickets.contact import validate_company, validate_email, validate_person_name, validate_phone

# Intent confidence from which the classifier's reading of a message is trusted over
# what the message looks like (a question, a new request).
CONFIDENT = 0.6


def fold(text: str) -> str:
    """NFKC, lower case, whitespace runs collapsed, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def _bare(text: str) -> str:
    """:func:`fold` without spaces and the punctuation around a short answer."""
    return re.sub(r"[\s。、,.!！?？…~〜「」『』()（）\-ー]+$", "", re.sub(r"[\s「」『』]", "", fold(text))).strip(
        "、。,."
    )


def is_payload(text: str) -> bool:
    """A button payload such as ``/inform_contract{...}`` rather than typed text."""
    return text.lstrip().startswith("/")


# ------------------------------------------------------------------ yes / no
_NO = re.compile(
    r"いいえ|いえ、|いや(?:、|です|だ|や)|難しい|むずかし|厳しい|きびしい|無理|むり|できない|できません|出来ない|出来ません"
    r"|出られない|出られません|でられない|でられません|不可|ちゃう|あかん|大丈夫(?:じゃ|では)な|ダメ|だめ|no\b|^no$|^nope"
)
_YES = re.compile(
    r"はい|可能|大丈夫|出られ|でられ|できます|出来ます|^ok|okです|オーケー|了解|問題ありません|問題ない|いけます|いける"
    r"|ええよ|ええで|^ええ|^うん|せや|そうです|かまいません|構いません|^yes|お願いします"
)


def parse_yes_no(text: str, intent: str | None = None) -> bool | None:
    """True for yes, False for no, None when the message is neither.

    The classifier's ``affirm``/``deny`` decide first; otherwise a "no" word wins over a
    "yes" word (「大丈夫じゃないです」, 「はい、でも難しいです」).
    """
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    folded = fold(text)
    if not folded or is_question(text):
        return None
    if _NO.search(folded):
        return False
    if _YES.search(folded):
        return True
    return None


# ------------------------------------------------------------------ questions
_QUESTION_END = re.compile(
    r"(?:\?|ですか|ますか|でしょうか|ませんか|のですか|んですか|んか|ますの|教えて(?:ください|下さい|ほしい|もらえ\S*)?"
    r"|知りたい(?:です|のですが|んですが)?|いくら|何時|どこ|なんぼ|かな|っけ|のかな|でしょう|けど|のか|やろか|ん\?)"
    r"[。.!！\s…]*$"
)
_QUESTION_WORD = re.compile(r"^(?:どう|なぜ|なんで|いつ|どこ|どれ|誰|だれ|何|なに|いくら|なんぼ)")


def is_question(text: str) -> bool:
    """The message asks something (「料金はいくらですか」, 「夜でもつながる?」)."""
    folded = fold(text)
    if not folded or is_payload(folded):
        return False
    return "?" in folded or bool(_QUESTION_END.search(folded)) or bool(_QUESTION_WORD.search(folded))


_WANTS_TO_ASK = re.compile(
    r"^(?:あの|あのー|えっと|すみません|すいません|ちょっと|少し|ひとつ|1つ|一つ|、)*"
    r"(?:聞きたい|きききたい|お聞きしたい|伺いたい|うかがいたい|質問したい|質問|確認したい|相談したい|相談|教えてほしい)"
    r"(?:こと|事|の|ん|点)?(?:が|も)?(?:ある|あります|あって|あんねん|あるんですが|あるのですが|です|なんですが|んですが|のですが"
    r"|ねんけど|んやけど|あるんやけど)?(?:けど|が)?[…。.!！\s]*$"
)


def wants_to_ask(text: str) -> bool:
    """Only announces a question, without asking it yet (「ちょっと聞きたいことが…」)."""
    folded = fold(text).replace(" ", "")
    return len(folded) <= 30 and bool(_WANTS_TO_ASK.search(folded))


# ------------------------------------------------------------------ gibberish
_REPEATED_CHAR = re.compile(r"(.)\1\1")
_REPEATED_PAIR = re.compile(r"([ぁ-んァ-ヶ]{2})\1")
_KEYBOARD = re.compile(r"[a-z]{4,}")
_VOWELS = re.compile(r"[aeiou]")


def is_gibberish(text: str) -> bool:
    """Keyboard mashing rather than words (「ぬぬぬねねね」「ほげほげふがふが」「あｓｄｆｇｈｊｋ」).

    Only for short messages without digits, so that names, numbers and addresses pass.
    """
    folded = fold(text).replace(" ", "")
    if not folded or len(folded) > 20 or any(ch.isdigit() for ch in folded) or "@" in folded:
        return False
    if re.fullmatch(r"[ぁ-ん]+", folded) and (_REPEATED_CHAR.search(folded) or _REPEATED_PAIR.search(folded)):
        return True
    # 「sdfghjk」: no word has that few vowels.
    return any(len(_VOWELS.findall(run)) * 4 < len(run) for run in _KEYBOARD.findall(folded))


# ------------------------------------------------------------------ restart
_RESTART = re.compile(
    r"(?:もう一度|もういちど|もう1度)?(?:最初|はじめ|始め|初め|さいしょ)から(?:やり直し|やりなおし|やり直す|始め|はじめ|お願い|で)?"
    r"(?:たい(?:です)?|ます|て(?:ください|下さい|ほしい)?|ましょう|する)?(?:お願いします)?"
    r"|(?:会話を|チャットを)?(?:リセット|りせっと|リスタート|やり直し|やりなおし)(?:する|して(?:ください|下さい)?|します|したい(?:です)?|で|たい(?:です)?)?"
    r"(?:お願いします)?|/?restart|reset|start over"
)


def is_restart_command(text: str) -> bool:
    """The whole message is a command to start over (the button, 「最初から」, 「リセットして」).

    A word inside an answer — the company 「株式会社リセット」, 「最初から調子が悪い」 — is not.
    """
    return bool(_RESTART.fullmatch(_bare(text)))


# ------------------------------------------------------------------ cancel (handoff)
_CANCEL = re.compile(
    r"キャンセル|取り?消|とりけ|やっぱり(?:いい|大丈夫|結構|やめ)|もう(?:大丈夫|いい|結構)|やめます|不要です|もうええ"
)


def wants_to_cancel(text: str) -> bool:
    """「キャンセル」「取り消して」「やっぱりいいです」: the customer calls off a request."""
    return bool(_CANCEL.search(unicodedata.normalize("NFKC", text)))


# ------------------------------------------------------------------ another problem
_ANOTHER_PROBLEM = re.compile(
    r"別件|別の(?:問題|件|トラブル|障害|相談|話)|それとは別|もう(?:一つ|ひとつ|1つ)|ほかにも|他にも|追加で"
)


def is_another_problem(text: str) -> bool:
    """The message is about a problem other than the one just handled (「別件で…」)."""
    return bool(_ANOTHER_PROBLEM.search(fold(text).replace(" ", "")))


# ------------------------------------------------------------------ calling the desk
_CALLING = re.compile(
    r"(?:今から|いまから|すぐ|これから|今すぐ)?(?:お?電話|でんわ|tel)(?:を|で)?(?:し|かけ|掛け|入れ)"
    r"(?:ます|ますね|てみます|ておきます|よう|る|とく|まーす|るわ|るね)"
    r"|(?:お?電話|でんわ)(?:を)?(?:した|する|かけた|掛けた)(?:ほう|方)が(?:いい|よい|良い|ええ)"
    r"|(?:お?電話|でんわ)(?:を)?(?:すれば|したら|かければ|かけたら)(?:いい|よい|良い|ええ)"
    r"|(?:お?電話|でんわ)(?:して|かけて)(?:も)?(?:いい|よい|よろしい|大丈夫)"
    r"|(?:今から|いまから|これから)(?:かけ|掛け)ます"
)


def is_calling_now(text: str) -> bool:
    """The customer is about to phone the desk, or asks whether they should."""
    folded = fold(text).replace(" ", "")
    if looks_like_phone_number(folded):
        return False
    return bool(_CALLING.search(folded))


_DEFERS_TO_PHONE = re.compile(
    r"(?:お?電話|でんわ)(?:口)?(?:で|の際に|のときに|の時に)(?:お?伺|うかが|伝え|お伝え|話し|お話|言い|申し|確認|説明|相談)"
    r"|(?:お?電話|でんわ)で(?:お願いします|いいです|結構です)|電話口で"
)


def defers_to_phone(text: str) -> bool:
    """「お電話で伺います」: the customer will give this detail on the phone."""
    return bool(_DEFERS_TO_PHONE.search(fold(text).replace(" ", "")))


# ------------------------------------------------------------------ corrections
_CORRECTION = re.compile(
    r"そういう意味(?:じゃ|では|や)な|そうじゃな|そうではな|違います|ちがいます|違う|ちがう|ちゃう|ちゃいます|間違|まちが|訂正|"
    r"じゃなくて|ではなくて|ではなく|やなくて|じゃなかった|ではありませんでした|実は|じつは|言い間違|書き間違|打ち間違|"
    r"すみません、|失礼しました|さっきの|先ほどの|前の(?:は|メッセージ)"
)
_VAGUE_CORRECTION = re.compile(
    r"(?:いえ|いや|あの|すみません|すいません)?(?:、)?(?:そういう意味(?:じゃ|では|や)(?:ない|なくて|ありません|ないです|ないんです)"
    r"|そうじゃない(?:です)?|そうではありません|違います|ちがいます|違う|ちがう|ちゃう|ちゃいます|間違いです|違うんです|伝わってない)"
    r"(?:よ|ね|けど|んですけど|です)?"
)


def is_correction(text: str) -> bool:
    """The message corrects something said or decided before (「実は…」「…じゃなくて」)."""
    return bool(_CORRECTION.search(fold(text).replace(" ", "")))


def is_vague_correction(text: str) -> bool:
    """「そういう意味じゃない」「違います」 alone: it says only that the last reading was wrong."""
    return bool(_VAGUE_CORRECTION.fullmatch(_bare(text)))


_NOT_A = re.compile(
    r"(?:深刻度|重要度|レベル)?a(?:じゃ|では|や)(?:な|あり)|そこまで(?:急ぎ|緊急|深刻|重大)(?:では|じゃ|や)な"
    r"|(?:緊急|急ぎ|大至急)(?:では|じゃ|や)(?:な|あり)"
    r"|本番(?:の業務|の環境|環境|業務)?(?:に|には|へは|への)?(?:は)?影響(?:は|が)?(?:ありません|ない|なし|出ていな|出ていません|出てない)"
    r"|業務(?:に|には|へは|への)?(?:は)?影響(?:は|が)?(?:ありません|ない|なし|出ていな|出ていません|出てない)"
    r"|(?:検証|テスト|開発|ステージング|評価|試験)(?:用|環境)"
)


def plays_down_impact(text: str) -> bool:
    """The customer says the case is not as serious as read (「深刻度Aじゃなくて大丈夫です」,
    「落ちたのは検証用のサーバーで、本番の業務には影響ありません」)."""
    return bool(_NOT_A.search(fold(text).replace(" ", "")))


_TEST_ENV = re.compile(r"(?:検証|テスト|開発|ステージング|評価|試験)(?:用|環境|機|系)")
_NO_EFFECT = re.compile(
    r"影響(?:は|が)?(?:ありません|ない|なし|出ていな|出ていません|出てない)|業務(?:は|も)?(?:普通に|問題なく)?(?:できて|続けられて|回って)"
)


def played_down_severity(text: str) -> Severity | None:
    """What a correction that plays an A down says instead (POLICY §2.1): a test or
    verification system with no business impact → C, a test system alone → B; None
    when it only says "not A" (then the impact is asked again)."""
    folded = fold(text).replace(" ", "")
    if _TEST_ENV.search(folded):
        return "C" if _NO_EFFECT.search(folded) else "B"
    return None


_SEVERITY_NAMED = re.compile(r"(?:深刻度|重要度|レベル|severity|sev)\s*([abc])(?![a-z])")


def named_severity(text: str) -> Severity | None:
    """A severity the customer names as a correction (「深刻度Bでお願いします」); None for 「Aじゃない」."""
    folded = fold(text).replace(" ", "")
    match = _SEVERITY_NAMED.search(folded)
    if not match or _NOT_A.search(folded[match.start() :]):
        return None
    letter = match.group(1).upper()
    return letter if letter in SEVERITIES else None  # type: ignore[return-value]


_CONTRACT_WORDS = re.compile(r"契約|パック|オンデマンド|インシデント|旧価格|旧料金")


def stated_contract(text: str) -> Contract | None:
    """A contract the message states (not asks about): 「あ、契約は旧価格の5インシデントパックでした」."""
    if is_question(text) or not _CONTRACT_WORDS.search(fold(text)):
        return None
    return parse_contract(text)


# ------------------------------------------------------------------ recovery
_RECOVERY = re.compile(
    r"(?:データ|ファイル|メール|メールボックス|データベース|db|バックアップ|消えた|消した|元に|もとに)"
    r".{0,20}(?:戻せ|戻る|戻り|もどせ|もどる|戻して|復旧|復元|リカバリ|救出|取り戻|助か)"
    r"|(?:復旧|復元)(?:は|が|って)?(?:でき|可能|保証|確実|必ず)"
)


def asks_about_recovery(text: str) -> bool:
    """Recovery of data is asked about (「データは確実に戻せますか」): the no-guarantee note is due."""
    return bool(_RECOVERY.search(fold(text).replace(" ", "")))


_PREMIER = re.compile(r"プレミア|premier|ぷれみあ")


def mentions_premier(text: str) -> bool:
    return bool(_PREMIER.search(fold(text)))


# ------------------------------------------------------------------ survey ratings
_RATING_WORDS = (
    ("とても満足", 5),
    ("大変満足", 5),
    ("非常に満足", 5),
    ("めっちゃ満足", 5),
    ("やや満足", 4),
    ("まあまあ満足", 4),
    ("とても不満", 1),
    ("非常に不満", 1),
    ("大変不満", 1),
    ("やや不満", 2),
    ("不満", 2),
    ("満足", 4),
    ("ふつう", 3),
    ("普通", 3),
)
_STARS = re.compile(r"^[★☆\s]+$")
_NUMBER = re.compile(r"^(?:評価\s*)?([1-5])\s*(?:点|つ|です|で|。|!|！|\s)*$")
_NUMBER_FIRST = re.compile(r"^(?:評価\s*)?([1-5])\s*(?:点|です|で)[。、,.!！\s]")
_SKIP = (
    "回答しない",
    "答えない",
    "答えたくない",
    "アンケートは結構",
    "スキップ",
    "いらない",
    "不要",
    "結構です",
    "遠慮",
)


def parse_rating(text: str) -> int | None:
    """1–5 from a digit, stars or a word such as 「とても満足」; None when unclear."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded:
        return None
    match = _NUMBER.match(folded) or _NUMBER_FIRST.match(folded)
    if match:
        return int(match.group(1))
    if _STARS.match(folded):
        stars = folded.count("★")
        return stars if 1 <= stars <= 5 else None
    for word, value in _RATING_WORDS:
        if word in folded:
            return value
    return None


def wants_to_skip(text: str) -> bool:
    """「回答しない」「スキップ」: the customer does not want to answer the survey."""
    folded = fold(text)
    return any(word in folded for word in _SKIP)


# ------------------------------------------------------------------ contact details
@dataclass(frozen=True)
class ContactFacts:
    """Contact details found in a message; ``None`` where nothing was found."""

    company: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None

    def as_slots(self) -> dict[str, str]:
        values = {
            "contact_company": self.company,
            "contact_name": self.name,
            "contact_phone": self.phone,
            "contact_email": self.email,
        }
        return {slot: value for slot, value in values.items() if value}

    def __bool__(self) -> bool:
        return any((self.company, self.name, self.phone, self.email))


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_PHONE = re.compile(r"(?<![\d\-])(?:\+81[\s\-]?|0)\d{1,4}(?:[\s\-()]{0,2}\d{1,4}){1,3}(?![\d\-])")
_FAX_LABEL = re.compile(r"(?:fax|ファックス|ファクス)\s*[:：]?\s*$", re.IGNORECASE)
_COMPANY_FORMS = r"(?:株式会社|有限会社|合同会社|合資会社|一般社団法人|一般財団法人|学校法人|医療法人|\(株\)|\(有\))"
_COMPANY_PREFIXED = re.compile(_COMPANY_FORMS + r"\s?[^\s、。,.:：/|｜の]{1,40}")
_COMPANY_SUFFIXED = re.compile(r"[^\s、。,.:：/|｜はがをの]{1,40}?" + _COMPANY_FORMS)
_COMPANY_LABEL = re.compile(r"(?:会社名|貴社名|社名|御社名|company)\s*[:：]\s*(\S[^\n]{0,60})", re.IGNORECASE)
_NAME_LABEL = re.compile(r"(?:氏名|お名前|名前|担当者?名?|name)\s*[:：]\s*(\S[^\n]{0,30})", re.IGNORECASE)
_NAME_CHARS = r"[一-龥々ぁ-んァ-ヶー]{1,6}(?:\s[一-龥々ぁ-んァ-ヶー]{1,6})?"
_NAME_INTRO = re.compile(
    r"(?:の|、|\s|^|私は|わたしは|わたくし)(" + _NAME_CHARS + r")(?:と申します|ともうします|といいます)"
)
_NAME_TOPIC = re.compile(r"名前|氏名|お名前|名は|担当者名")
_NAME_COPULA = re.compile(r"(?:^|[。、\s])(" + _NAME_CHARS + r")(?:です|でございます|と申します)[。！!]?$")
_DEPARTMENT = re.compile(r"^\S*(?:部|課|室|グループ|センター|チーム|係)\s+")
_PERSON_FIRST = re.compile(r"([一-龥々]{1,4}\s?[一-龥々ぁ-んァ-ヶー]{1,6})(?=\s|$|[(（])")
_PERSON_LINE = re.compile(r"[一-龥々]{1,4}\s?[一-龥々ぁ-んァ-ヶー]{1,6}")
_NOT_A_NAME = re.compile(
    r"部|課|室|グループ|センター|チーム|係|本部|支店|営業所|事業所|株式|会社|様|御中|tel|fax|電話|メール"
)


def _clean_phone(candidate: str) -> str | None:
    checked = validate_phone(candidate)
    return checked.value if checked.value else None


def extract_contacts(text: str, exclude_phones: Iterable[str] = ()) -> ContactFacts:
    """Company, person, phone and e-mail from a message or an e-mail signature block.

    ``exclude_phones`` are numbers that are not the customer's (the desk's own numbers).
    Only values that pass the same validation as a typed answer are returned.
    """
    normal = unicodedata.normalize("NFKC", text or "")
    if not normal.strip():
        return ContactFacts()
    excluded = {re.sub(r"\D", "", number) for number in exclude_phones}

    email = None
    for match in _EMAIL.finditer(normal):
        checked = validate_email(match.group(0))
        if checked.value:
            email = checked.value
            break

    phone = None
    without_mail = _EMAIL.sub(" ", normal)
    for match in _PHONE.finditer(without_mail):
        if _FAX_LABEL.search(without_mail[max(0, match.start() - 12) : match.start()]):
            continue
        value = _clean_phone(match.group(0))
        if value and re.sub(r"\D", "", value) not in excluded:
            phone = value
            break

    company = None
    label = _COMPANY_LABEL.search(normal)
    if label:
        company = label.group(1).strip()
    else:
        found = _COMPANY_PREFIXED.search(normal) or _COMPANY_SUFFIXED.search(normal)
        if found:
            company = found.group(0).strip()
    if company:
        checked_company = validate_company(company)
        company = checked_company.value if checked_company.value else None

    name = _find_name(normal, company)
    return ContactFacts(company=company, name=name, phone=phone, email=email)


def _find_name(normal: str, company: str | None) -> str | None:
    label = _NAME_LABEL.search(normal)
    candidates: list[str] = []
    if label:
        candidates.append(label.group(1).strip())
    if _NAME_TOPIC.search(normal):
        said = _NAME_COPULA.search(normal.strip())
        if said:
            candidates.append(said.group(1))
    lines = [line.strip(" \t-=_*|") for line in normal.splitlines()]
    for line in lines:
        intro = _NAME_INTRO.search(line)
        if intro:
            candidates.append(intro.group(1))
    if company:
        after = re.search(
            re.escape(company) + r"\s?(?:の|、)?\s?(" + _NAME_CHARS + r")(?:です|でございます|と申します)", normal
        )
        if after:
            candidates.append(after.group(1))
        # Signature block: the person's name is a short line near the company line.
        for index, line in enumerate(lines):
            if company in line:
                for near in lines[index + 1 : index + 4]:
                    near = _DEPARTMENT.sub("", near).strip()
                    if _PERSON_LINE.fullmatch(near) and not _NOT_A_NAME.search(near.lower()):
                        candidates.append(near)
                        break
                # The same line, or the whole block on one line (channels collapse
                # line breaks): 「株式会社X 情報システム部 山田 太郎 TEL: …」.
                rest = _DEPARTMENT.sub("", line.split(company, 1)[1].strip()).strip()
                person = _PERSON_FIRST.match(rest)
                if person and not _NOT_A_NAME.search(person.group(1).lower()):
                    candidates.append(person.group(1))
    for candidate in candidates:
        if company and candidate in company:
            continue
        if _NOT_A_NAME.search(candidate.lower()):
            continue
        checked = validate_person_name(candidate)
        if checked.value:
            return checked.value
    return None


def looks_like_phone_number(text: str) -> bool:
    """Mostly digits and hyphens with at least 6 digits (an attempt at a phone number)."""
    compact = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if not compact:
        return False
    digits = sum(ch.isdigit() for ch in compact)
    phoneish = sum(ch.isdigit() or ch in "-+()ー−" for ch in compact)
    return digits >= 6 and phoneish / len(compact) >= 0.8
