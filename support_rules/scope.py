"""Scope of the service and where out-of-scope requests go (POLICY §5)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, Mapping, Pattern, get_args

from support_rules.normalize import normalize_text

Scope = Literal[
    "in_scope",
    "root_cause",
    "development",
    "debugging",
    "product_change",
    "third_party",
    "consulting",
    "oem_vendor",
    "consumer_product",
]
Redirect = Literal["premier", "consulting", "oem_vendor", "consumer_support"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
OUT_OF_SCOPE: tuple[Scope, ...] = SCOPES[1:]

REDIRECTS: Mapping[Scope, Redirect] = {
    "root_cause": "premier",
    "development": "premier",
    "debugging": "premier",
    "product_change": "premier",
    "third_party": "premier",
    "consulting": "consulting",
    "oem_vendor": "oem_vendor",
    "consumer_product": "consumer_support",
}

# NLU intent → the scope it asks for.
INTENT_SCOPES: Mapping[str, Scope] = {
    "request_root_cause": "root_cause",
    "request_development": "development",
    "request_debugging": "debugging",
    "request_product_change": "product_change",
    "report_third_party_cause": "third_party",
    "request_consulting": "consulting",
    "ask_oem_product": "oem_vendor",
    "ask_consumer_product": "consumer_product",
}


def redirect_for(scope: Scope) -> Redirect | None:
    return REDIRECTS.get(scope)


_OWN_OR_THIRD = r"(?:自社|弊社|当社|社内|うち|我々|私たち|自作|独自|内製|他社|サードパーティ|3rd ?party|third ?party|外部ベンダー|ベンダー|sier|協力会社)"
# OEM makers and their server/appliance lines (POLICY §5: their dedicated hardware,
# firmware, drivers and maker editions go to the maker's desk).
_OEM_MAKERS = (
    r"富士通|fujitsu|primergy|プライマジー|(?<![a-z])nec(?![a-z])|express ?5800|エクスプレス5800|"
    r"(?<![a-z])hpe?(?![a-z])|ヒューレット|proliant|プロライアント|(?<![a-z])dell(?![a-z])|デル(?:製|の)|poweredge|"
    r"lenovo|レノボ|thinksystem|日立|hitachi|ha8000|東芝|dynabook|日本ibm|netapp|synology|qnap|buffalo|バッファロー|"
    r"terastation|テラステーション|landisk|アイ・オー・データ|iodata"
)
_CUES: tuple[tuple[Scope, Pattern[str]], ...] = (
    (
        "third_party",
        re.compile(
            _OWN_OR_THIRD
            + r".{0,25}(?:アプリ|プログラム|モジュール|ソフト|アドイン|ツール|ドライバ|ミドルウェア|製品|システム|dll)"
            r".{0,25}(?:原因|せい|影響|起因|問題がある|が悪い)|"
            r"(?:サードパーティ|他社製|third ?party|アドイン|ウイルス対策ソフト|セキュリティソフト|ミドルウェア).{0,80}?(?:原因|せい|起因)(?:だ|で|と|の|か|ら|です)|"
            r"(?:その|この|うちの|弊社の|自社の)(?:ソフト|アプリ|アドイン|ツール|モジュール|製品|プログラム)(?:が|の)(?:原因|せい)"
        ),
    ),
    (
        "root_cause",
        re.compile(
            r"(?:原因|要因)(?:を|の)?(?:調査|究明|特定|解明|分析|追及|追求|調べ|突き止め|明らかに|報告)|"
            r"(?:原因|なぜ|何が).{0,10}?(?:特定|調査|究明|解明|調べ|突き止め)(?:して|を|し)?(?:ほし|欲し|くださ|いただ|もらえ|お願い)|"
            r"根本原因|(?<![a-z])rca(?![a-z])|なぜ(?:発生|起き|落ち|止ま)(?:した|た)のか.{0,10}(?:調査|調べ|知りたい|報告|説明)|"
            r"再発防止(?:策)?の?(?:ため|報告|レポート|調査)|事後(?:分析|調査)|ポストモーテム"
        ),
    ),
    (
        "product_change",
        re.compile(
            r"hotfix|ホットフィックス|修正プログラム(?:を|の)?(?:作|提供|出し|リリース|開発)|"
            r"パッチ(?:を)?(?:作|出し|提供し|当ててほし|開発)|製品(?:自体|そのもの)?(?:を|の)?(?:改修|改造|変更|修正|カスタマイズ)|"
            r"仕様(?:を)?変更(?:して|してほし|をお願い|を依頼)|(?:修正|改修|対応)(?:する|される)?(?:こと)?(?:を|の)?(?:保証|確約|約束)|(?:修正|改修)され.{0,4}(?:保証|確約|約束)|"
            r"機能(?:を)?追加(?:して|してほし|をお願い|を依頼)"
        ),
    ),
    (
        "debugging",
        re.compile(
            r"デバッグ|debug|コード ?レビュー|(?:ソース ?)?コード(?:を|の)?(?:見て|確認して|レビュー|チェック)|"
            r"(?:複数|いくつか|[2-9]つ)の製品(?:を|が)?(?:組み合わせ|連携|組合せ)|"
            r"特定の(?:デバイス|機器|ハードウェア|端末)(?:で|が)?(?:しか|ないと)(?:再現|発生)|ダンプ(?:ファイル)?(?:の|を)?解析|"
            r"(?:端末|機器|デバイス|ハードウェア)が(?:ない|無い)と再現し|"
            r"(?:連携|組み合わせ|組合せ)(?:させ|し)?た(?:とき|時|場合)だけ"
        ),
    ),
    (
        "development",
        re.compile(
            r"サンプル ?(?:コード|プログラム|スクリプト)?(?:を)?(?:作成|作って|書いて|提供|くださ|ほしい|欲しい|いただけ)|"
            r"(?:プログラム|アプリ|ツール|マクロ|スクリプト|システム|機能)(?:を)?(?:開発して|作って|作成して|組んで|書いて)|"
            r"(?:開発|実装|コーディング)(?:を|の)?(?:依頼|お願い|代行|請負|委託|してほし|してもらえ|して欲し)|"
            r"コードを(?:書いて|作って|ください)"
        ),
    ),
    (
        "consulting",
        re.compile(
            r"(?:システム|インフラ|全体|構成|ネットワーク)?設計(?:の)?(?:相談|レビュー|支援|してほし|の提案|をお願い|を依頼)|"
            r"構成(?:案)?(?:の|を)?(?:提案|相談|設計)|キャパシティ ?プランニング|サイジング|"
            r"(?:性能|パフォーマンス) ?(?:チューニング|改善の?提案)|チューニング(?:を|して|の支援|してほし|をお願い|方法を提案)|"
            r"運用(?:の)?(?:コンサル|設計|改善(?:の)?提案|相談|ルール作り)|環境(?:の)?(?:診断|アセスメント|評価をお願い)|"
            r"(?:移行|マイグレーション|リプレース|アップグレード|バージョンアップ)(?:作業)?(?:の|を)?(?:支援|計画|手伝|お手伝|代行|プロジェクト|お願い)|"
            r"コンサル|ベスト ?プラクティス(?:を)?(?:提案|教えて)|最適な構成|(?:ライセンス|導入)(?:の)?(?:計画|提案)"
        ),
    ),
    (
        "oem_vendor",
        re.compile(
            r"datacenter ?server|データ ?センター ?サーバー|(?<![a-z])oem(?![a-z])|アプライアンス|"
            r"(?:メーカー|ベンダー)(?:の)?専用(?:ハードウェア|機|サーバー|機器|筐体|ドライバ|イメージ)|プリインストール(?:された|の)?(?:サーバー|機器)|"
            # a named OEM maker together with its own hardware, firmware, drivers or image
            r"(?:" + _OEM_MAKERS + r").{0,30}?(?:ファームウェア|ファーム|firmware|bios|uefi|ドライバ|driver|専用|独自|"
            r"リカバリ(?:ディスク|メディア|イメージ)|カスタムイメージ|raid ?(?:コントローラ|カード)|筐体|ハードウェア|保守|ランプ|led)"
        ),
    ),
    (
        "consumer_product",
        re.compile(
            r"(?:自宅|家庭|個人|プライベート|私用|家族)(?:の|で|用の?)?(?:pc|windows|office|ノート|デスクトップ|使って|利用)|"
            r"(?:windows ?1[01] ?)?home ?(?:edition|エディション)|windows ?1[01] ?home|ホーム ?エディション|家庭用|個人向け|"
            r"(?:office|オフィス) ?(?:personal|パーソナル|home|ホーム)|microsoft 365 (?:personal|family)|xbox"
        ),
    ),
)

_DATA_RECOVERY = re.compile(
    r"(?:データ|ファイル|メール|メールボックス|データベース)(?:の|を)?(?:復旧|復元|リカバリ|救出|取り戻)|"
    r"復旧(?:は|が)?(?:できますか|可能|保証)|(?:消え|消し)た.{0,10}(?:戻|復元|復旧)"
)


@lru_cache(maxsize=4096)
def detect_scopes(text: str) -> tuple[Scope, ...]:
    """Every out-of-scope category whose cue ``text`` states, in priority order."""
    folded = normalize_text(text)
    return tuple(scope for scope, pattern in _CUES if pattern.search(folded))


def detect_scope(text: str) -> Scope | None:
    """The out-of-scope request stated in ``text``, if any (first category that matches)."""
    found = detect_scopes(text)
    return found[0] if found else None


def mentions_data_recovery(text: str) -> bool:
    """Recovery help is in scope, but recovery itself is never guaranteed."""
    return bool(_DATA_RECOVERY.search(normalize_text(text)))


def decide_scope(intent: str | None, text: str, confidence: float = 1.0, threshold: float = 0.5) -> Scope:
    """Scope from the NLU intent (when confident) and otherwise from the text's cues."""
    if intent is not None and intent in INTENT_SCOPES and confidence >= threshold:
        return INTENT_SCOPES[intent]
    return detect_scope(text) or "in_scope"
