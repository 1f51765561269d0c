"""Severity A/B/C from what the customer says about business impact (POLICY §2).

The classifier looks for *impact cues* clause by clause in normalised text. Every cue
has a level (A, B or C) and a short Japanese label that becomes the reason shown to
the customer ("サーバーやシステムの停止" → 深刻度A), so a decision can always be checked
and corrected. Severity is decided from stated impact only — never from tone — and
when nothing about impact is stated the result is ``None`` (ask, never guess A).

Decision order:
1. A stop, corruption, mass outage or imminent full stop → A, unless the text places
   it in a test/verification environment, which caps it at B.
2. Otherwise a statement that only one person is affected, or that business is not
   affected, → C.
3. Otherwise partial impact, a workaround, slowness or degraded-but-running → B.
4. Otherwise a how-to, specification or cosmetic question → C.
5. Otherwise ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Pattern

from support_rules.normalize import normalize_text, normalize_with_origins

Severity = Literal["A", "B", "C"]
SEVERITIES: tuple[Severity, ...] = ("A", "B", "C")


@dataclass(frozen=True)
class Cue:
    """One kind of impact statement."""

    id: str
    level: Severity
    label: str


@dataclass(frozen=True)
class CueHit:
    cue: Cue
    start: int  # in the normalised text
    end: int
    text: str
    source_start: int = 0  # the same span in nfkc(text), the NLU pipeline's message text
    source_end: int = 0


@dataclass(frozen=True)
class Assessment:
    """The outcome of reading one text for business impact."""

    severity: Severity | None
    hits: tuple[CueHit, ...]
    capped: bool = False  # an A was capped at B (test/verification environment)

    @property
    def decisive(self) -> tuple[Cue, ...]:
        """The cues that decided the severity (in order of appearance, unique)."""
        if self.severity is None:
            return ()
        wanted: Severity = "A" if self.capped else self.severity
        seen: dict[str, Cue] = {}
        for hit in self.hits:
            if hit.cue.level == wanted and hit.cue.id not in seen:
                seen[hit.cue.id] = hit.cue
        if not seen and self.severity == "C":
            for hit in self.hits:
                if hit.cue.id in _C_OVERRIDES and hit.cue.id not in seen:
                    seen[hit.cue.id] = hit.cue
        return tuple(seen.values())

    @property
    def cue_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.cue.id for h in self.hits))

    @property
    def reason_label(self) -> str | None:
        """Japanese noun phrase naming why, e.g. ``サーバーやシステムの停止``."""
        cues = self.decisive
        if not cues:
            return None
        label = "、".join(c.label for c in cues[:2])
        if self.capped:
            label += f"（{NON_PRODUCTION.label}）"
        return label


# --- vocabulary -----------------------------------------------------------------

_SYSTEM = (
    r"サーバー|server|システム|サービス|本番|基幹|データベース|sql|exchange|"
    r"active ?directory|ドメインコントローラ|ドメコン|クラスタ|仮想マシン|(?<![a-z])vm(?![a-z])|"
    r"hyper-?v|iis|web ?サイト|ウェブサイト|ホームページ|sharepoint|azure|ネットワーク|"
    r"ファイル ?サーバー|メール ?サーバー|生産ライン|製造ライン|ライン|工場|取引|決済|勘定系|"
    r"電子カルテ|レジ|pos|受発注|基盤|環境全体|全体|"
    r"(?<![a-z])(?:dc|dhcp|dns|adfs|rds|nas|san|api)(?![a-z])|ストレージ|ホスト|インスタンス|ノード"
)
_STOP = (
    r"(?<!シャット)ダウン(?!ロード|グレード)|停止|止ま[っりる]|止まった|"
    r"(?<!速度が)(?<!性能が)(?<!品質が)(?<!スピードが)(?<!精度が)(?<!パフォーマンスが)(?<!レスポンスが)(?<!効率が)(?<!処理能力が)落ち(?!着|込)|"
    r"起動(?:しな|しませ|せず|でき(?:な|ませ|ず))|立ち上がら|立ち上がりませ|"
    r"応答(?:しな|しませ|せず|がな|があり(?:ませ)|なし)|無応答|反応(?:しな|がな)|動かな|動きませ|"
    r"動作しな|動作しませ|使用不能|利用不能|(?:全く|まったく|一切|すべて|全て|全部|完全に)使え(?:な|ませ|ず)|全く繋がら|まったく繋がら|"
    r"全くつながら|まったくつながら|ブルースクリーン|bsod|再起動を繰り返|クラッシュし"
)
# "できていません", "できてない", "できておらず": the progressive negative.
_PROG = r"(?:てい|ておら|ており|て)?"
_FAILURE = (
    r"ログインでき{_PROG}(?:な|ませ|ず)|ログインに失敗|使え{_PROG}(?:な|ませ|ず)|利用でき{_PROG}(?:な|ませ|ず)|"
    r"接続でき{_PROG}(?:な|ませ|ず)|繋がらな|つながらな|繋がりませ|つながりませ|アクセスでき{_PROG}(?:な|ませ|ず)|"
    r"届か(?:な|ず)|届きませ|送(?:信)?でき{_PROG}(?:な|ませ|ず)|送れ(?:な|ませ|ず)|受信でき{_PROG}(?:な|ませ|ず)|"
    r"開けな|開けませ|開か(?:な|ず)|印刷でき{_PROG}(?:な|ませ|ず)|エラーに?な|エラーが(?:出|発生)|"
    r"表示されな|表示されませ|見られな|見れな|同期(?:でき|され)(?:な|ませ|ず)|"
    r"起動(?:しな|しませ|せず|でき{_PROG}(?:な|ませ|ず))|(?:表示|印刷|送信|受信|保存|同期|反映|更新|配信|適用|作成|登録|処理|実行|認識|インストール)され{_PROG}(?:な|ませ|ず)|"
    r"動かな|動きませ|動作しな|動作しませ|止まって|止まり|(?:アクセス|接続|ログイン)?(?:が)?(?:拒否され|弾かれ|はじかれ)|"
    r"失敗(?:し|する)|でき{_PROG}(?:な(?:く|い)|ませ)|影響(?:が|を)?(?:出|受け|あ)"
).replace("{_PROG}", _PROG)
_MANY = (
    r"全員|全社員|全職員|全ユーザー|全利用者|全社|全部署|全拠点|全店舗|全支店|全台|全端末|"
    r"社員全員|職員全員|ほぼ全員|ほとんど(?:の)?(?:ユーザー|社員|職員|人|利用者|端末|pc)|大半(?:の)?|"
    r"多数(?:の)?|多く(?:の)?(?:ユーザー|社員|職員|人|利用者|端末)|大勢|誰も|だれも|みんな|皆(?:が|さん)|"
    r"(?:[1-9][0-9]{2,}|[1-9],[0-9]{3}|数百|数千|何百|何千|千|百)(?:人|名|ユーザー|台|アカウント)|"
    r"すべての(?:ユーザー|社員|利用者|端末|pc|メール)|全ての(?:ユーザー|社員|利用者|端末|pc|メール)|"
    r"社内(?:の)?(?:全体|全て|すべて)|会社全体|組織全体"
)
# "全員ではなく一部" names an extent only to deny it.
_NOT = r"(?!では(?:な|あり)|じゃな|でもな)"
_MANY = f"(?:{_MANY}){_NOT}"
# Units an extent is counted in: "2拠点", "数店舗", "3部屋".
_UNITS = r"(?:人|名|台|アカウント|端末|ユーザー|pc|拠点|店舗|店|支店|部署|部屋|か所|カ所|箇所|社|チーム|フロア)"
# An organisational part: "大阪支店だけ", "マーケティング部のメンバーだけ".
_PART = r"(?:部|課|部門|部署|チーム|支店|支社|営業所|拠点|店舗|フロア|グループ|工場|事業所)"
_SOME = (
    r"一部(?:の)?|特定(?:の)?(?:ユーザー|部署|拠点|端末|pc|部門|グループ|機能|サイト|アカウント)|"
    r"(?:ある|一つの|ひとつの|1つの|1)(?:部署|部門|拠点|課|チーム|フロア)(?:だけ|のみ)?|"
    r"(?:数|いく)(?:つかの)?" + _UNITS + r"|何(?:名|人|台)(?:か|も)|"
    r"(?<![0-9,])(?:[2-9]|[1-9][0-9])" + _UNITS + r"|(?:二|三|四|五|六|七|八|九|十)" + _UNITS + r"|"
    r"(?:営業|経理|総務|人事|開発|製造|物流|企画)(?:部|課|部門)(?:だけ|のみ|の一部)|"
    r"[^、。\s]{1,8}" + _PART + r"(?:の[^、。]{1,8}?)?(?:だけ|のみ|に限って|に限り)|"
    # "失敗する人がいます": some people, not everyone
    r"(?:人|方|ユーザー|社員)(?:が|も)(?:い|おり)(?:ます|る)(?!せん)"
)
# Everyone of one department or site ("営業部の全員", "大阪支店のみんな") is a part of the
# company, not the whole of it (POLICY §2.1: one department affected → B). Not "全部署の…".
_PART_ALL = (
    r"(?<!全)(?:部|課|部門|部署|チーム|支店|支社|営業所|拠点|店舗|フロア|グループ|事業所|病棟)"
    r"の(?:社員|職員|メンバー|人|スタッフ|利用者|ユーザー)?(?:全員|みんな|皆|全体)"
)
_SOME = f"(?:{_SOME})|{_PART_ALL}"
_ONE = (
    r"(?:1|一|ひと)(?:人|名|台)(?:だけ|のみ)|ひとり(?:だけ)?|1人の|一人の|1名の|一名の|"
    r"(?:私|わたし|自分|僕|ぼく|俺)(?:だけ|のみ|1人|一人)(?!でなく|ではなく|じゃなく|でもなく)|(?:私|自分|僕)の(?:pc|端末|アカウント|マシン)(?:だけ|のみ)|"
    r"特定の(?:1|一)(?:人|名|台|ユーザー)|(?:1|一)ユーザー(?:だけ|のみ)|"
    r"(?:社員|ユーザー|職員|利用者|スタッフ)(?:1|一)(?:人|名)(?:が|の)"
)
_NON_PRODUCTION = r"(?:テスト|検証|開発|ステージング|評価|試験|デモ|ラボ)(?:用|環境|サーバー|機|系)"
# 本番 said positively ("本番サーバーが…"), not "本番ではなく".
_PRODUCTION = r"本番(?!では(?:な|あり)|じゃな|でもな|リリース|移行|前|稼働前|化|導入|切り?替|開始|適用前|反映前)"

# Tail that negates the stop/corruption predicate just before it:
# 止まっ|ていません, 落ち|てはいない, ダウン|ではない, 停止|していない, …
_NEGATION_TAIL = re.compile(
    r"^(?:は|も)?(?:し|され)?(?:て|で)?(?:は|も)?(?:い|お(?:り)?)?(?:は|も)?"
    r"(?:ない|なかった|ません|ず|ぬ)"
    r"|^.{0,4}?わけ(?:では|じゃ)(?:ない|なく|ありません)"
)
# Tail that makes it hypothetical: ダウンした場合, 落ちたら, 停止する際, 止まると …
_HYPOTHETICAL_TAIL = re.compile(
    r"^(?:し|され|する|した|して)?(?:た|る|て|で)?(?:しまう|しまった|しまっ|ちゃう|ちゃった)?"
    r"(?:場合|ら(?!れ)|とき|時(?:に|は|の)|際|ように|ための|前に|と(?:き|困|まず|大変))"
    r"|^.{0,6}?(?:しないよう|ないように|を防|の対策|の予防|か心配|かもしれ|ないか)"
    # uncertain: "影響があるかどうかはまだ分かりません", "止まっているかは確認中"
    r"|^.{0,8}?か(?:どうか)?(?:は|も)?(?:まだ|現在|今)?(?:わから|分から|わかりませ|分かりませ|不明|確認中|調査中|未確認|把握)"
    # instructions for planned work: "停止する順番", "停止の手順", "停止予定"
    r"|^(?:する|させる|させ|して|の)?(?:順番|順序|手順|方法|やり方|予定|計画)"
)
# Planned work, not an incident: "計画停止", "定期メンテナンスで停止".
_PLANNED_HEAD = re.compile(r"(?:計画|予定|定期|定例|メンテナンス|メンテ)(?:的な|的に|の|で|による|のため)?$")

# A full stop, not the dot of "ntds.dit" or "3.5".
_CLAUSE_SPLIT = re.compile(r"(?:[。．!！?？\n]|(?<![a-z0-9])\.|\.(?![a-z0-9]))+")
# Courtesy phrases that contain impact words without stating an impact
# ("夜遅くにすみません", "ご連絡が遅くなりましたが"); masked before matching.
_COURTESY = re.compile(
    r"(?:夜分|夜|朝早く|朝)遅く(?:に|まで)?(?:すみません|失礼|申し訳(?:ありません|ございません)?)?|"
    r"(?:ご連絡|連絡|返信|お返事|返事|報告|お問い合わせ)が遅く(?:なり(?:まし(?:た|て))?)?|遅くなりまし(?:た|て)(?:が|、)?"
)


@dataclass(frozen=True)
class _Rule:
    cue: Cue
    pattern: Pattern[str]
    # When set, the clause must also contain this (subject) pattern.
    requires: Pattern[str] | None = None
    negatable: bool = False
    # When set, a clause containing this pattern does not state the cue.
    excludes: Pattern[str] | None = None


def _rx(pattern: str) -> Pattern[str]:
    return re.compile(pattern)


NON_PRODUCTION = Cue("non_production", "B", "検証・テスト環境での事象")
_NO_IMPACT_TAIL = r"(?:ない|ありません|ございません|なし|無し|出ていな|出ていませ|出ておりませ|ないです|ありませんが|ないが|少ない|小さ|軽微|限定的)"

_RULES: tuple[_Rule, ...] = (
    # ---- A ----------------------------------------------------------------------
    _Rule(
        Cue("system_down", "A", "サーバーやシステムの停止"),
        _rx(_STOP),
        requires=_rx(_SYSTEM),
        negatable=True,
    ),
    _Rule(
        Cue("business_stopped", "A", "業務の停止"),
        _rx(
            r"(?:業務|仕事|運用|営業|出荷|受注|発注|注文|会計|決済|診療|診断|検査|調剤|生産|製造|窓口|店舗|受付|"
            r"(?<!お)取引(?!先)|販売|配送|通話)(?:の[^、。]{0,4}?)?(?:が|は|を|も)?"
            r"(?:全面的に|完全に|すべて|全て|全部|まったく|全く|一切|事実上|実質的に|ほぼ|ほとんど)?"
            r"(?:開始|再開|実施|処理|入力|登録)?(?:が|は|も)?"
            r"(?:停止|止ま[っりる]|ストップ|でき"
            + _PROG
            + r"(?:な|ませ|ず)|回らな|回っていな|回っていませ|回りませ|麻痺|まひ)"
        ),
        negatable=True,
    ),
    _Rule(
        Cue("data_corruption", "A", "データベースやデータの破損"),
        _rx(r"破損|壊れ|不整合|消失|消え|corrupt|整合性が(?:取れ|とれ)な|整合性が(?:崩れ|失われ)|暗号化され"),
        requires=_rx(r"データベース|データ|メールボックス|mdf|edb|ログ ?ファイル|テーブル|インデックス"),
        negatable=True,
    ),
    _Rule(
        Cue("data_corruption", "A", "データベースやデータの破損"),
        _rx(r"ランサムウェア(?:に|の)?(?:感染|やられ|被害|攻撃を受け)"),
        negatable=True,
    ),
    _Rule(
        Cue("mail_queue", "A", "メールの滞留"),
        _rx(
            r"滞留|キュー(?:に|が|内に|内の)[^、。]{0,15}?(?:溜|たま|貯ま|増え|残っ|詰ま)|queue|溜まったまま|たまったまま|"
            r"配送されな|配信されな|(?:メール|mail)が(?:社外に|外部に|外に)?出ていか(?:な|ず)"
        ),
        requires=_rx(r"メール|mail|smtp|exchange|トランスポート"),
        negatable=True,
    ),
    _Rule(
        Cue("many_users", "A", "多数の利用者が利用できない状態"),
        _rx(_FAILURE),
        requires=_rx(_MANY),
        negatable=True,
        # "全員がログインできないわけではなく、5名が…" denies the extent; "営業部の全員"
        # is one department.
        excludes=_rx(
            r"(?:全員|全社|すべて|全て|みんな|皆)(?:が|は)?.{0,15}わけ(?:では|じゃ)(?:ない|なく|ありません)|" + _PART_ALL
        ),
    ),
    _Rule(
        Cue("critical_operations", "A", "医療行為や取引など重要業務への支障"),
        _rx(
            r"支障|妨げ|でき" + _PROG + r"(?:な|ませ|ず)|止ま|停止|ダウン|使え" + _PROG + r"(?:な|ませ|ず)|"
            r"(?:取れ|られ)(?:な|ませ|ず)|つながら|繋がら|つながりませ|繋がりませ"
        ),
        requires=_rx(
            r"医療|診療|手術|患者|電子カルテ|病院|クリニック|医院|薬局|調剤|処方|検査|画像診断|pacs|"
            r"取引システム|トレーディング|ディーリング|勘定系|証券"
        ),
        negatable=True,
    ),
    _Rule(
        Cue("imminent_stop", "A", "業務の全面停止が懸念される状態"),
        _rx(
            r"(?:停止|ダウン|止まる|業務停止)(?:の|が|する)?(?:恐れ|おそれ|懸念|可能性が高|寸前|間近)|"
            r"止まりそう|落ちそう|ダウンしそう|停止しそう|"
            r"このまま(?:では|だと).{0,15}(?:止ま|停止|ダウン|業務が|使えなく)|"
            r"(?:ディスク|容量|ストレージ|領域)(?:が|は)?(?:もうすぐ|まもなく|ほぼ|残りわずか)?(?:満杯|いっぱい|枯渇|逼迫)"
        ),
    ),
    _Rule(
        Cue("major_loss", "A", "事業への重大な影響・損失"),
        _rx(
            r"(?:重大|多大|甚大|深刻|大規模|大き)な(?:影響|損失|被害|損害)|大損害|損失が(?:出て|発生)|売上(?:が|に).{0,6}(?:出な|影響|損失)"
        ),
        negatable=True,
    ),
    # ---- B ----------------------------------------------------------------------
    _Rule(
        Cue("some_users", "B", "一部の利用者や部署への影響"),
        _rx(_FAILURE + r"|影響"),
        requires=_rx(_SOME),
        negatable=True,
    ),
    _Rule(
        Cue("workaround", "B", "回避策があり業務は継続できる状態"),
        _rx(
            r"回避策|回避方法|回避でき|ワークアラウンド|代替(?:手段|策|方法|機)|別の(?:方法|手段|端末|pc)で|手作業で|迂回|"
            r"暫定(?:対応|的に|策)|(?:再接続|再起動|再ログイン|再実行|やり直)(?:すれば|したら|すると)(?:使え|直|つなが|繋が|動)"
            r"(?![^、。]{0,6}(?:か|でしょう))|"
            # doing it another way: by hand, with something else, "…で凌いでいます"
            r"手動で|手入力|手書き|(?<![上派相])手で(?:やっ|入力|対応|処理|作業|送)|代用|代わりに|凌い|しのい|補って|"
            r"(?:て|で)(?:対応|代替|運用)(?:してい(?:ます|る)|しております|中)|"
            r"(?:ほか|他|別)の[^、。]{1,8}?(?:で(?:作業|対応|代用|回)|を使って(?:い|お))|"
            # "ダウンロードすれば見られる", "つなぎ直せば作業できます" (a statement, not a question)
            r"(?:すれば|したら|すると|せば)[^、。]{0,4}?(?:見られ|見れ|使え|入れ|直|つなが|繋が|動|作業でき|利用でき)(?![^、。]{0,6}(?:か|でしょう))"
        ),
        negatable=True,
    ),
    _Rule(
        Cue("degraded", "B", "処理の遅延やサービス品質の低下"),
        _rx(
            r"遅い|遅く|遅延|遅すぎ|遅れ(?:て|が|る|ま)|重い|重く|重たい|もたつ|時間がかか|処理時間が.{0,8}(?:倍|増|長)|パフォーマンス(?:が)?(?:低下|悪化|悪)|"
            r"(?:速度|性能|品質|スピード|パフォーマンス|効率|処理能力)(?:が)?(?:落ち|低下)|"
            r"レスポンス(?:が)?(?:悪|低下|遅)|応答(?:が|速度が)?遅|タイムアウトが(?:頻発|多発|時々|たまに)|"
            r"(?:たまに|時々|ときどき|ときおり|断続的に|頻繁に).{0,8}?(?:エラー|切断|切れ)|不安定"
        ),
    ),
    _Rule(
        Cue("continuing_degraded", "B", "支障はあるものの業務は継続できる状態"),
        _rx(
            r"(?:業務|仕事|運用|作業)(?:は|も|自体は|は一応|自体)?(?:なんとか|何とか|一応|どうにか|いちおう)?"
            r"(?:継続|続け|続い|回って|回せて|回して|できて|出来て|進められ|進めて|進んで|こなせ)|"
            r"(?:締め|納期|期限|締切|締め切り)(?:に|には|にも)(?:は)?(?:なんとか|何とか|一応)?間に合って"
        ),
        negatable=True,
    ),
    _Rule(
        # The customer says business itself has not stopped ("業務は止まっていません").
        Cue("business_not_stopped", "B", "業務は止まっていない状態"),
        _rx(
            r"(?:業務|仕事|運用|作業)(?:は|が|も|自体は|自体)?(?:止まって|停止して|ストップして)(?:は|も)?(?:い|お(?:り)?)?(?:は|も)?"
            r"(?:ない|ません|ず)"
        ),
    ),
    # ---- C ----------------------------------------------------------------------
    _Rule(
        Cue("no_impact", "C", "業務への影響がほとんどない状態"),
        _rx(
            r"(?:業務|仕事|運用|サービス|利用)?(?:への|に|上の|上|には|への影響|面で)?"
            r"(?:影響|支障|実害)(?:は|が|も)?(?:特に|ほとんど|全く|まったく|今のところ|今は|現状)?"
            + _NO_IMPACT_TAIL
            + r"|(?:業務|仕事|運用)(?:への|に|上の|上|には|面で|面の)(?:問題)(?:は|が|も)?(?:特に|ほとんど|全く|まったく|今のところ|今は|現状)?"
            + _NO_IMPACT_TAIL
            + r"|急ぎ(?:ではない|ではありません|じゃない|ません|はしませ)|急いでいません|急がな|"
            r"困って(?:は)?(?:い)?(?:ない|ません)|"
            r"(?:通常どおり|通常通り|普段どおり|普段通り)(?:業務|仕事|運用|稼働|動い|使え|利用でき)|"
            r"(?:仕事|業務)(?:で|に)(?:は|も)?使って(?:い)?(?:ない|ません)"
        ),
        # "ほかの部署は影響ありません" speaks about the unaffected, not the case.
        excludes=_rx(
            r"(?:ほか|他|それ以外|その他)(?:の[^、,]{0,8})?(?:は|には|も)(?:特に|とくに)?(?:影響|問題|支障|正常)"
        ),
    ),
    _Rule(
        Cue("works_normally", "C", "正常に利用できている状態"),
        _rx(
            r"問題(?:は|が|も)?(?:特に|ほとんど|全く|まったく|今のところ|今は|現状)?"
            + _NO_IMPACT_TAIL
            + r"|(?:問題なく|正常に)(?:業務|仕事|運用|稼働|動い|使え|利用でき)"
        ),
        excludes=_rx(
            r"(?:ほか|他|それ以外|その他)(?:の[^、,]{0,8})?(?:は|には|も)(?:特に|とくに)?(?:影響|問題|支障|正常)"
        ),
    ),
    _Rule(
        Cue("recovered", "C", "すでに復旧している状態"),
        _rx(
            r"(?:現在|今|いま|今日|本日|現時点で)は?(?:すでに|もう)?(?:復旧|回復|正常|解消|直って|問題(?:は|も)?(?:ない|なく|ありません|ございません))|"
            r"復旧(?:済み|しました|しています|できました)|(?:すでに|もう)(?:復旧|回復|直り|直っ|解消)"
        ),
        negatable=True,
    ),
    _Rule(
        Cue("single_user", "C", "お一人（1台）だけの事象"),
        _rx(_FAILURE + r"|影響|起き|発生|出て|おかしい|遅|重|困って|(?:ませ|ない|なく|ず)(?!か)"),
        requires=_rx(_ONE),
    ),
    _Rule(
        Cue("how_to", "C", "操作方法・設定方法のご質問"),
        _rx(
            r"(?:方法|やり方|手順|仕方|設定方法|使い方|操作方法|順番|順序|(?<=[ぁ-ん])方)(?:を|について|が|は)?[^、。]{0,6}?"
            r"(?:教え|おしえ|知りたい|知り|分から|わから|わかりませ|ありますか|ありませんか|ご教示|確認したい|確認させ)|"
            r"どうすれば|どうしたら|どのように(?:すれば|設定|したら|して)|どうやって|ことはできますか|ことは可能|可能でしょうか|可能ですか|"
            r"(?:設定|画面|メニュー|項目|オプション|ボタン)(?:は|を)?どこ|どこで(?:設定|変更|確認|でき)|どこにありますか|"
            r"(?:設定|こと)(?:は|も)?(?:でき|可能)(?:ますか|ますでしょうか|るか)|"
            r"(?:べき|注意すべき)(?:こと|項目|点)|注意点|留意点"
        ),
    ),
    _Rule(
        Cue("spec_question", "C", "仕様に関するご質問"),
        _rx(
            r"仕様(?:について|を|は|なのか|ですか|でしょうか|上|を確認|の確認)|上限(?:値)?(?:は|について|を)|制限(?:値)?(?:は|について)|サポートされて(?:いますか|いるか)|対応していますか|互換性|"
            r"(?:サポート|延長サポート|メインストリームサポート)(?:の)?(?:期限|期間|終了日?)|ライフサイクル|"
            r"(?:用意|提供)されて(?:い)?(?:ますか|ますでしょうか|るか)"
        ),
    ),
    _Rule(
        Cue("cosmetic", "C", "表示上の軽微な問題"),
        _rx(
            r"表示(?:が)?(?:崩れ|ずれ|乱れ|おかし)|見た目|文字(?:が)?[^、。]{0,4}?(?:ずれ|化け|欠け)|ぼやけ|にじんで|かすれて|見づら|見にく|レイアウト(?:が)?崩|アイコン(?:が)?(?:おかし|消え|表示)|誤字|誤記|色が(?:変|おかし)"
        ),
    ),
)

_C_OVERRIDES = frozenset({"no_impact", "single_user", "recovered"})
# A cues that say business itself has stopped; a workaround cannot soften them.
_HARD_A = frozenset({"business_stopped", "imminent_stop", "major_loss", "critical_operations"})
# Statements that business goes on in a degraded state (POLICY §2 B).
_CONTINUING = frozenset({"workaround", "continuing_degraded", "business_not_stopped"})
# 本番 named only to say it is fine: "本番環境は正常", "本番とは別の環境", "本番には影響ありません".
_PRODUCTION_FINE = _rx(
    r"本番(?:環境|システム|サーバー)?(?:は|には|とは|にも|側は)(?:正常|問題な|問題あり|影響(?:は|も)?(?:な|あり)|別|無事|無関係|関係な|関係あり|切り離)"
)
_NON_PRODUCTION_RX = _rx(_NON_PRODUCTION)
_PRODUCTION_RX = _rx(_PRODUCTION)


def _negated_or_hypothetical(clause: str, start: int, end: int) -> bool:
    tail = clause[end : end + 16]
    head = clause[max(0, start - 10) : start]
    return bool(_NEGATION_TAIL.match(tail) or _HYPOTHETICAL_TAIL.match(tail) or _PLANNED_HEAD.search(head))


_EXTENT_ONLY: tuple[_Rule, ...] = (
    _Rule(Cue("many_users", "A", "多数の利用者が利用できない状態"), _rx(_MANY), excludes=_rx(_PART_ALL)),
    _Rule(Cue("some_users", "B", "一部の利用者や部署への影響"), _rx(_SOME)),
    _Rule(Cue("single_user", "C", "お一人（1台）だけの事象"), _rx(_ONE)),
)

# What the customer picked from the impact buttons, as a reason phrase.
CHOICE_LABELS: dict[Severity, str] = {
    "A": "業務が止まっている・多くの方が使えないとのお申し出",
    "B": "一部に影響があるが業務は続けられるとのお申し出",
    "C": "業務への影響はほとんどないとのお申し出",
}


def find_cues(text: str, extent_only: bool = False) -> tuple[CueHit, ...]:
    """Every impact cue stated in ``text`` (offsets refer to the normalised text).

    ``extent_only`` is for a short answer to "who is affected?": there an extent
    alone ("全員です", "一部の部署だけ") is a statement of impact.
    """
    return _scan(text, extent_only)[1]


@lru_cache(maxsize=4096)
def _scan(text: str, extent_only: bool) -> tuple[str, tuple[CueHit, ...]]:
    """The normalised text and the cues found in it (one normalisation for both).

    Cached: one message is read by the NLU pipeline's cue extractor, the trained
    reader's features and the triage decision; the result is immutable."""
    folded, origins = normalize_with_origins(text)
    normalized = _COURTESY.sub(lambda m: " " * len(m.group(0)), folded)
    hits: list[CueHit] = []
    offset = 0
    for clause in _CLAUSE_SPLIT.split(normalized):
        start_of_clause = normalized.find(clause, offset) if clause else offset
        offset = start_of_clause + len(clause)
        if not clause:
            continue
        rules = _RULES + _EXTENT_ONLY if extent_only else _RULES
        for rule in rules:
            if rule.requires is not None and not rule.requires.search(clause):
                continue
            if rule.excludes is not None and rule.excludes.search(clause):
                continue
            for match in rule.pattern.finditer(clause):
                if rule.negatable and _negated_or_hypothetical(clause, match.start(), match.end()):
                    continue
                hits.append(
                    CueHit(
                        rule.cue,
                        start_of_clause + match.start(),
                        start_of_clause + match.end(),
                        match.group(0),
                    )
                )
                break  # one hit per rule and clause is enough
        if extent_only:
            # an extent-only hit duplicates a full rule's id; keep the first
            seen: set[str] = set()
            unique = []
            for hit in hits:
                key = f"{hit.cue.id}@{hit.start}"
                if key not in seen:
                    seen.add(key)
                    unique.append(hit)
            hits = unique
        if _NON_PRODUCTION_RX.search(clause) and not _PRODUCTION_RX.search(clause):
            m = _NON_PRODUCTION_RX.search(clause)
            assert m is not None
            hits.append(CueHit(NON_PRODUCTION, start_of_clause + m.start(), start_of_clause + m.end(), m.group(0)))
    hits.sort(key=lambda h: h.start)
    return folded, tuple(
        CueHit(h.cue, h.start, h.end, h.text, origins[h.start], origins[h.end - 1] + 1) if h.end > h.start else h
        for h in hits
    )


def assess(text: str, extent_only: bool = False) -> Assessment:
    """Classify the business impact stated in ``text`` (see :func:`find_cues`)."""
    normalized, hits = _scan(text, extent_only)
    levels = {h.cue.id: h.cue.level for h in hits if h.cue.id != NON_PRODUCTION.id}
    ids = set(levels)
    has_a = any(level == "A" for level in levels.values())
    if has_a and "recovered" in ids and not ids & _HARD_A:
        # The stop is in the past ("先週停止したが現在は復旧"): read what is left.
        has_a = False
        levels = {k: v for k, v in levels.items() if v != "A"}
    if has_a:
        # A test/verification system going down is not a critical *business*
        # impact — unless the production system is said to be affected too.
        non_production = any(h.cue.id == NON_PRODUCTION.id for h in hits)
        production_named = bool(_PRODUCTION_RX.search(_PRODUCTION_FINE.sub("", normalized)))
        if non_production and not production_named:
            # Capped: partial impact stays B; otherwise "no business impact" is C.
            partial = any(v == "B" for k, v in levels.items())
            fine = ids & (_C_OVERRIDES | {"works_normally"})
            return Assessment("C" if fine and not partial else "B", hits, capped=True)
        if ids & _CONTINUING and not ids & _HARD_A:
            # A crash with a workaround that keeps business going is partial impact.
            return Assessment("B", hits)
        return Assessment("A", hits)
    if ids & _C_OVERRIDES:
        return Assessment("C", hits)
    if any(level == "B" for level in levels.values()):
        return Assessment("B", hits)
    if any(level == "C" for level in levels.values()):
        return Assessment("C", hits)
    return Assessment(None, hits)


def names_production(text: str) -> bool:
    """The text places the trouble in production (「本番の…」), not only to say it is fine."""
    return bool(_PRODUCTION_RX.search(_PRODUCTION_FINE.sub("", normalize_text(text))))


def parse_severity_choice(text: str) -> Severity | None:
    """A severity the customer names directly ("深刻度B", "Aでお願いします")."""
    folded = normalize_text(text)
    match = re.search(r"(?:深刻度|重要度|レベル|severity|sev)?\s*(?<![a-z])([abc])(?![a-z])", folded)
    if match and (re.search(r"深刻度|重要度|レベル|severity|sev", folded) or len(folded) <= 12):
        letter = match.group(1).upper()
        if letter in SEVERITIES:
            return letter  # type: ignore[return-value]
    return None
