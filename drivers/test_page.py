"""The printer's test page: every kind of character a certificate holds, the settings, the
status. `kiosk printer test` prints it, and so does the technician screen's 打印测试页."""

from __future__ import annotations

import datetime as dt

from drivers.printer_url import PrinterConfig, PrintMode, QrMode
from kiosk.devices import DeviceState, DeviceStatus, Paper
from kiosk.document import Document, DocumentKind, Field
from kiosk.i18n import N_
from kiosk.print_layout import PAPER_58MM, PAPER_80MM, columns

SAMPLE_PUNCTUATION = N_("，。：（）《》、；！？“”")
SAMPLE_RARE = N_("䶮")  # U+4DAE, CJK Ext A: in GB18030, not in GBK

_STATE_CN = {
    DeviceState.STARTING: N_("启动中"),
    DeviceState.ONLINE: N_("在线"),
    DeviceState.OFFLINE: N_("离线"),
    DeviceState.NO_DEVICE: N_("未连接"),
    DeviceState.HARDWARE_ERROR: N_("故障"),
    DeviceState.USER_ERROR: N_("需人工处理"),
    DeviceState.BUSY: N_("忙"),
}
_PAPER_CN = {
    Paper.UNKNOWN: N_("未知"),
    Paper.FULL: N_("充足"),
    Paper.LOW: N_("将尽"),
    Paper.OUT: N_("已用完"),
    Paper.JAMMED: N_("卡纸"),
}


def status_words(status: DeviceStatus) -> str:
    state = _STATE_CN.get(status.state, status.state.value)
    words = N_("{state}，纸量{paper}").format(state=state, paper=_PAPER_CN[status.paper])
    return words + (N_("，机盖打开") if status.cover_open else "")


def check_page(
    config: PrinterConfig, status: DeviceStatus, job_id: str, today: dt.date
) -> Document:
    """The test page: every kind of character a certificate holds, the settings, the status."""
    w = config.width_dots
    mm = {PAPER_58MM: 58, PAPER_80MM: 80}.get(w)
    mode = (
        N_("文本（汉字模式 FS &）") if config.mode is PrintMode.TEXT else N_("图像（光栅 GS v 0）")
    )
    qr = N_("打印机生成（GS ( k）") if config.qr_mode is QrMode.NATIVE else N_("图像")
    paper_width = (
        N_("{dots} 点（{mm} mm），{cols} 列").format(dots=w, mm=mm, cols=columns(w))
        if mm
        else N_("{dots} 点，{cols} 列").format(dots=w, cols=columns(w))
    )
    return Document(
        kind=DocumentKind.CERTIFICATE,
        title=N_("打印机测试页"),
        holder=N_("一证通办自助终端：中文、标点、生僻字、二维码与纸宽测试"),
        fields=(
            Field(N_("标点"), SAMPLE_PUNCTUATION),
            Field(
                N_("生僻字"), N_("{rare}（U+4DAE，GB18030 有，GBK 无）").format(rare=SAMPLE_RARE)
            ),
            Field(N_("数字字母"), "0123456789 ABCDEFGHIJ abcdefghij"),
            Field(N_("打印机"), config.describe()),
            Field(N_("纸宽"), paper_width),
            Field(N_("字符集"), config.charset),
            Field(N_("打印方式"), mode),
            Field(N_("二维码"), qr),
            Field(
                N_("状态"),
                N_("{words}（{detail}）").format(words=status_words(status), detail=status.detail),
            ),
        ),
        body=N_("本页每一行都应完整、清晰，不出现“?”或方框；二维码用手机扫描应显示本页的设置。"),
        department=N_("一证通办自助终端"),
        issued_on=today,
        verification_code=job_id.upper(),
        qr_content=check_page_qr(config),
    )


def check_page_qr(config: PrinterConfig) -> str:
    """What the test page's QR code says: ASCII only, so any phone shows it as is."""
    return (
        f"KIOSK PRINTER TEST width={config.width_dots} charset={config.charset}"
        f" qr={config.qr_mode.value} mode={config.mode.value}"
    )
