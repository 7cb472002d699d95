"""The verdict on a certificate: authentic, not found, revoked or expired, in words and colour."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.i18n import N_, _
from kiosk.journey import Journey
from kiosk.models import VerifyStatus
from screens.base import KioskScreen

VERDICTS = {
    VerifyStatus.AUTHENTIC: (
        "✓",
        N_("证明真实有效"),
        "success",
        N_("该证明由政务服务平台出具，内容以平台记录为准。"),
    ),
    VerifyStatus.NOT_FOUND: (
        "×",
        N_("未查到该证明"),
        "danger",
        N_("平台中没有这个核验码，该证明可能不是由政务服务平台出具。"),
    ),
    VerifyStatus.REVOKED: (
        "×",
        N_("该证明已被撤销"),
        "danger",
        N_("出具部门已撤销该证明，不能再作为有效证明使用。"),
    ),
    VerifyStatus.EXPIRED: (
        "!",
        N_("该证明已过有效期"),
        "warning",
        N_("该证明已超过有效期，请持有人重新开具。"),
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
            (_("证明名称"), result.title),
            (_("持有人"), result.holder_masked),
            (_("出具部门"), result.department),
            (
                _("出具日期"),
                result.issued_on.strftime(_("%Y年%m月%d日")) if result.issued_on else "",
            ),
            (
                _("有效期至"),
                result.valid_until.strftime(_("%Y年%m月%d日")) if result.valid_until else "",
            ),
        ]
        row = _("{label}：{value}")
        self.details = "\n".join(row.format(label=k, value=v) for k, v in rows if v)
