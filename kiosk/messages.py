"""What the kiosk says to a citizen when something goes wrong: what happened, what to do.

Plain words, no codes alone, never a traceback. Kept in one place so the wording is consistent
and can be reviewed as a whole; each text is an entry of the catalogue (kiosk.i18n), read in
the active language whenever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices import DeviceState, DeviceStatus, Paper, PrinterCondition
from kiosk.document import DocumentKind
from kiosk.events import CardFault
from kiosk.i18n import N_, _
from kiosk.identity import CardProblem

STAFF_HINT = N_("如需帮助，请点击“呼叫工作人员”或到人工窗口。")


@dataclass(frozen=True, slots=True)
class Message:
    """A title and a text as the catalogue names them; read, they are in the active language."""

    title_id: str
    text_id: str

    @property
    def title(self) -> str:
        return _(self.title_id)

    @property
    def text(self) -> str:
        return _(self.text_id)


CARD_FAULTS: dict[CardFault, Message] = {
    CardFault.NO_CARD: Message(N_("没有读到证件"), N_("请将身份证平放在感应区，不要移动。")),
    CardFault.SELECT_FAILED: Message(
        N_("证件没有放稳"), N_("请将身份证平放在感应区，保持不动，直到读取完成。")
    ),
    CardFault.READ_FAILED: Message(
        N_("读取证件失败"), N_("请拿起身份证，重新平放在感应区，保持不动。")
    ),
    CardFault.BAD_FRAME: Message(
        N_("读取证件失败"), N_("读卡时数据受到干扰，请拿起身份证后重新放置。")
    ),
    CardFault.TIMEOUT: Message(
        N_("读卡器没有响应"),
        N_("请拿起身份证后重新放置。如需帮助，请点击“呼叫工作人员”或到人工窗口。"),
    ),
    CardFault.UNKNOWN_CARD: Message(
        N_("无法识别此证件"),
        N_(
            "本机可读取居民身份证、港澳台居民居住证、外国人永久居留身份证和社会保障卡。请确认证件后重新放置。"
        ),
    ),
    CardFault.AUTH_FAILED: Message(
        N_("证件认证未通过"), N_("请拿起证件后重新放置。如仍不能读取，请到人工窗口办理。")
    ),
    CardFault.SAM_FAULT: Message(N_("读卡器故障"), N_("读卡器暂时不能使用，请到人工窗口办理。")),
    CardFault.DEVICE_GONE: Message(
        N_("读卡器已断开"), N_("读卡器暂时不能使用，请到人工窗口办理。")
    ),
}

CARD_PROBLEMS: dict[CardProblem, Message] = {
    CardProblem.EXPIRED: Message(
        N_("证件已过有效期"),
        N_("您的证件已超过有效期，不能用于自助办理。请到公安机关换领新证，或到人工窗口咨询。"),
    ),
    CardProblem.NOT_YET_VALID: Message(
        N_("证件尚未生效"), N_("您的证件还未到有效期起始日期，暂时不能使用。请到人工窗口咨询。")
    ),
    CardProblem.BAD_NUMBER: Message(
        N_("证件号码无法核对"), N_("证件上的号码未通过校验，请到人工窗口办理。")
    ),
    CardProblem.BAD_BIRTH_DATE: Message(
        N_("证件信息无法核对"), N_("证件上的出生日期无法识别，请到人工窗口办理。")
    ),
}

PRINTER_UNAVAILABLE = Message(
    N_("打印机暂时不能使用"), N_("需要打印的事项请到人工窗口办理；查询类事项仍可在本机办理。")
)


def printer_problem(status: DeviceStatus) -> str:
    """What the screen says when the printer cannot take a job (plain words, who can help)."""
    if status.state is DeviceState.NO_DEVICE:
        return _("打印机未连接，暂时无法打印，请联系工作人员。")
    if status.cover_open:
        return _("打印机盖未关好，请联系工作人员处理。")
    if status.paper is Paper.OUT:
        return _("打印纸已用完，请联系工作人员更换打印纸。")
    if status.paper is Paper.JAMMED:
        return _("打印机卡纸，请联系工作人员处理。")
    if status.state is DeviceState.HARDWARE_ERROR:
        return _("打印机故障，请联系工作人员。")
    return _("打印机暂时无响应，请联系工作人员。")


# why the print button is held, beside it (short words, one per condition), and the notice
# above it: what is wrong and what happens next (staff are told by a device event)
PRINTER_HOLD_REASONS: dict[PrinterCondition, str] = {
    PrinterCondition.NO_DEVICE: N_("打印机未连接"),
    PrinterCondition.COVER_OPEN: N_("打印机盖未关好"),
    PrinterCondition.PAPER_OUT: N_("打印纸已用完"),
    PrinterCondition.JAMMED: N_("打印机卡纸"),
    PrinterCondition.FAULT: N_("打印机故障"),
    PrinterCondition.OFFLINE: N_("打印机无响应"),
}
PRINTER_HOLD_NOTICE = N_("{reason}，已通知工作人员处理。打印机恢复后即可继续，无需重新办理。")


def printer_hold_reason(condition: PrinterCondition) -> str:
    """Why the print button is held, in a few words."""
    return _(PRINTER_HOLD_REASONS[condition])


def printer_hold_notice(condition: PrinterCondition) -> str:
    """What is wrong with the printer and what happens next (staff have been told)."""
    return _(PRINTER_HOLD_NOTICE).format(reason=printer_hold_reason(condition))


# an item this citizen cannot do here: the platform's reason may state a personal status (no
# pension, low income, a disability certificate), so the screen says only this, and the reason
# waits behind 详情 (docs/privacy.md)
UNAVAILABLE_HERE = N_("本机暂不能为您办理此事项，请咨询窗口")


def printer_unavailable(status: DeviceStatus | None) -> Message:
    """Why printing is off and what to do: the printer's own trouble, then the way on."""
    if status is None:
        return PRINTER_UNAVAILABLE
    return Message(
        PRINTER_UNAVAILABLE.title, f"{printer_problem(status)}{PRINTER_UNAVAILABLE.text}"
    )


SESSION_TIMEOUT = Message(N_("已自动退出"), N_("长时间没有操作，为保护您的信息，本机已自动退出。"))
CARD_REMOVED = Message(N_("已退出"), N_("证件已移开，为保护您的信息，本机已退出。"))
NOTHING_AVAILABLE = N_("您暂无可在本机办理的事项。可查看清单了解办理条件，或到人工窗口咨询。")


QR_UNKNOWN = Message(
    N_("无法识别此二维码"),
    N_(
        "本机可识别：营业执照二维码、三晋通或国家网络身份认证（网证）的身份码、本机出具证明上的核验二维码。"
        "请确认后重新扫码。"
    ),
)
USCC_CHECK_FAILED = N_("营业执照上的统一社会信用代码未通过校验，已交由平台核实。")


def not_printed(kind: DocumentKind, case_no: str, *, declined: bool) -> Message:
    """The take-away screen when nothing went on paper: the citizen said 不打印, or the printer
    could not. Each says what happened; the case number is then the only record."""
    receipt = kind is DocumentKind.RECEIPT
    title = _("已受理，请记下您的办件编号") if receipt else _("已办理，请记下您的办件编号")
    if not declined:
        text = _(
            "办件编号：{case_no}\n打印机暂时不能使用，可凭办件编号到人工窗口打印，"
            "或在“三晋通”APP查询。"
        )
    elif receipt:
        text = _(
            "办件编号：{case_no}\n您选择了不打印受理回执。如需纸质受理回执，可凭办件编号到人工窗口"
            "打印，或在“三晋通”APP查询。"
        )
    else:
        text = _(
            "办件编号：{case_no}\n您选择了不打印证明。如需纸质证明，可凭办件编号到人工窗口打印，"
            "或在“三晋通”APP查询。"
        )
    return Message(title, text.format(case_no=case_no))
