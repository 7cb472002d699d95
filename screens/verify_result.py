"""The verdict on a certificate: authentic, not found, revoked or expired, in words and colour."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.journey import Journey
from kiosk.models import VerifyStatus
from screens.base import KioskScreen

VERDICTS = {
    VerifyStatus.AUTHENTIC: (
        "✓",
        "证明真实有效",
        "success",
        "该证明由政务服务平台出具，内容以平台记录为准。",
    ),
    VerifyStatus.NOT_FOUND: (
        "×",
        "未查到该证明",
        "danger",
        "平台中没有这个核验码，该证明可能不是由政务服务平台出具。",
    ),
    VerifyStatus.REVOKED: (
        "×",
        "该证明已被撤销",
        "danger",
        "出具部门已撤销该证明，不能再作为有效证明使用。",
    ),
    VerifyStatus.EXPIRED: (
        "!",
        "该证明已过有效期",
        "warning",
        "该证明已超过有效期，请持有人重新开具。",
    ),
}


class VerifyResultScreen(KioskScreen):
    kv_file = "verify_result.kv"
    mark = StringProperty("")
    verdict = StringProperty("")
    colour = StringProperty("success")
    explanation = StringProperty("")
    details = StringProperty("")

    def render(self, journey: Journey) -> None:
        super().render(journey)
        result = journey.verify_result
        if result is None:
            return
        self.mark, self.verdict, self.colour, self.explanation = VERDICTS[result.status]
        rows = [
            ("证明名称", result.title),
            ("持有人", result.holder_masked),
            ("出具部门", result.department),
            ("出具日期", result.issued_on.strftime("%Y年%m月%d日") if result.issued_on else ""),
            ("有效期至", result.valid_until.strftime("%Y年%m月%d日") if result.valid_until else ""),
        ]
        self.details = "\n".join(f"{k}：{v}" for k, v in rows if v)
