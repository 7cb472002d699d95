"""Take your card and your papers (and, for a promised case, when it will be done)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk import messages
from kiosk.document import DocumentKind
from kiosk.i18n import SOURCE, _
from kiosk.journey import Journey, case_slip_print
from screens.base import KioskScreen


class TakeDocumentsScreen(KioskScreen):
    kv_file = "take_documents.kv"
    headline = StringProperty("")
    details = StringProperty("")
    printed = BooleanProperty(True)
    can_print_slip = BooleanProperty(False)  # after 不打印: a 办件凭条 with the case number

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        case = s.case if s else None
        self.printed = bool(s and (s.job_id or s.slip_printed))
        self.can_print_slip = case_slip_print.can_print(journey)
        if case is None:
            self.headline, self.details = _("请取走您的身份证"), ""
            return
        doc = case.document
        if not s.job_id:  # nothing was printed: the screen is the only record
            said = messages.not_printed(doc.kind, case.case_no, declined=s.print_declined)
            self.headline, self.details = said.title, said.text
            if s.slip_printed:
                self.headline = _("请取走身份证和办件凭条")
                self.details = _(
                    "办件编号：{case_no}\n凭条上的二维码可在手机上查看办理进度。"
                ).format(case_no=case.case_no)
            return
        if doc.kind is DocumentKind.RECEIPT:
            self.headline = _("已受理，请取走身份证和受理回执")
            due = (
                doc.promised_date.strftime(_("%Y年%m月%d日"))
                if doc.promised_date
                else _("承诺时限内")
            )
            self.details = _(
                "办件编号：{case_no}\n承诺办结日期：{due}\n办结后将短信通知您，可凭回执查询进度。"
            ).format(case_no=case.case_no, due=due)
        else:
            self.headline = _("办理完成，请取走身份证和证明")
            self.details = _(
                "《{title}》已打印\n办件编号：{case_no}\n证明上的二维码可用于核验真伪（验证码 {code}）"
            ).format(
                title=self._title(journey, doc.title),
                case_no=case.case_no,
                code=doc.verification_code,
            )

    @staticmethod
    def _title(journey: Journey, title: str) -> str:
        """The certificate's Chinese title, or on an English screen the item's English name
        where the platform gave one (the paper itself stays Chinese)."""
        item = journey.session.selected if journey.session else None
        if journey.language != SOURCE and item is not None and item.name_en:
            return item.name_en
        return title
