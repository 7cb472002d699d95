"""The technician's screen: each device's live status, version and uptime, the outbox, a test
page, restarting the app. It renders the journey (its device table and what the technician's
visit holds) and forwards taps; the actions are kiosk.journey.technician's."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.i18n import N_, _
from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.widgets import KButton, KLabel

KINDS = {
    DeviceKind.CARD_READER: N_("读卡器"),
    DeviceKind.PRINTER: N_("打印机"),
    DeviceKind.QR_SCANNER: N_("扫码器"),
}
STATES = {
    DeviceState.STARTING: N_("启动中"),
    DeviceState.ONLINE: N_("正常"),
    DeviceState.OFFLINE: N_("无响应"),
    DeviceState.NO_DEVICE: N_("未连接"),
    DeviceState.HARDWARE_ERROR: N_("硬件故障"),
    DeviceState.USER_ERROR: N_("需要处理"),
    DeviceState.BUSY: N_("忙"),
}
PAPER = {
    Paper.FULL: N_("纸量充足"),
    Paper.LOW: N_("纸量不足"),
    Paper.OUT: N_("缺纸"),
    Paper.JAMMED: N_("卡纸"),
}
OUTBOX_KINDS = {"rating": N_("好差评"), "event": N_("设备事件")}


def device_line(status: DeviceStatus) -> str:
    """One device for the technician: kind and source, state, paper and cover, the driver's
    detail (port, SAM id, ...; never personal data)."""
    parts = [_(STATES[status.state])]
    if status.paper in PAPER:
        parts.append(_(PAPER[status.paper]))
    if status.cover_open:
        parts.append(_("机盖打开"))
    name = _(KINDS[status.kind]) + (f" · {status.source}" if status.source else "")
    line = _("{device}：{state}").format(device=name, state=_("，").join(parts))
    return line + (f"\n{status.detail}" if status.detail else "")


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("{m} 分钟").format(m=minutes)
    return _("{h} 小时 {m} 分钟").format(h=minutes // 60, m=minutes % 60)


class TechnicianScreen(KioskScreen):
    kv_file = "technician.kv"
    language_switch = BooleanProperty(False)  # the technician's screens stay Chinese
    about = StringProperty("")
    outbox = StringProperty("")
    test_result = StringProperty("")
    confirm_restart = BooleanProperty(False)
    test_printing = BooleanProperty(False)
    card_result = StringProperty("")
    addresses = StringProperty("")
    address_result = StringProperty("")
    scan_result = StringProperty("")
    log_lines = StringProperty("")

    _shown_addresses: tuple = ()

    def _address_rows(self, configured: tuple[tuple[str, str], ...], usb: tuple[str, ...]) -> None:
        """One row a configured device: its address (and its port's USB ids) and 修改
        (kiosk.journey.technician)."""
        box = self.ids.addresses
        box.clear_widgets()
        seen: dict[str, int] = {}
        for n, (kind, address) in enumerate(configured):
            index = seen[kind] = seen.get(kind, -1) + 1
            ids = usb[n] if n < len(usb) else ""
            row = BoxLayout(size_hint_y=None, spacing=self.theme.gap)
            label = KLabel(
                text=_("{device}：{address}").format(
                    device=_(KINDS[DeviceKind(kind)]), address=address
                )
                + (f"\n{ids}" if ids else ""),
                role="small",
                pos_hint={"center_y": 0.5},
            )
            button = KButton(
                text=_("修改"),
                action="tech_edit_address",
                arg=f"{kind}:{index}",
                size_hint_x=None,
                pos_hint={"center_y": 0.5},
            )
            button.width = max(self.theme.button * 1.6, self.theme.px(60))
            button.kid = f"tech.edit:{kind}:{index}"
            row.add_widget(label)
            row.add_widget(button)
            row.bind(minimum_height=row.setter("height"))
            box.add_widget(row)

    def render(self, journey: Journey) -> None:
        super().render(journey)
        visit = journey.technician
        box = self.ids.devices
        box.clear_widgets()
        for (kind, source), status in sorted(journey.devices.items()):
            usable = status.usable
            row = KLabel(
                text=device_line(status), color=self.theme.text if usable else self.theme.danger
            )
            row.kid = f"tech.device:{kind.value}:{source}"
            box.add_widget(row)
        if not journey.devices:
            box.add_widget(KLabel(text=_("还没有设备报告状态"), color=self.theme.secondary))
        info = visit.info if visit is not None else None
        if info is None:
            self.about = self.outbox = _("正在读取…")
        else:
            self.about = _("版本 {version}，已运行 {uptime}").format(
                version=info.version, uptime=duration(info.uptime_seconds)
            )
            pending = _("，").join(
                _("{kind} {n} 条").format(kind=_(OUTBOX_KINDS.get(k, k)), n=n)
                for k, n in info.pending
            )
            lines = [_("待发送：{pending}").format(pending=pending or _("无"))]
            if info.oldest_pending_age is not None:
                lines.append(
                    _("最早一条已等待 {age}").format(age=duration(info.oldest_pending_age))
                )
            lines.append(_("无法投递（死信）：{n} 条").format(n=info.dead_letters))
            if info.outbox_problem:
                lines.append(info.outbox_problem)
            self.outbox = "\n".join(lines)
        configured = info.addresses if info else ()
        self.addresses = "\n".join(
            _("{device}：{address}").format(device=_(KINDS[DeviceKind(k)]), address=a)
            for k, a in configured
        )
        usb = info.usb_ids if info else ()
        if (configured, usb) != self._shown_addresses:  # rebuilt only when they change
            self._shown_addresses = (configured, usb)
            self._address_rows(configured, usb)
        self.address_result = (
            _("已保存并应用：{detail}").format(detail=visit.address_result)
            if visit is not None and visit.address_result
            else ""
        )
        self.scan_result = _(visit.scan_test) if visit is not None and visit.scan_test else ""
        self.log_lines = "\n".join(info.log_lines) if info else ""
        self.card_result = _(visit.card_test) if visit is not None and visit.card_test else ""
        self.confirm_restart = bool(visit and visit.confirm_restart)
        self.test_printing = bool(visit and visit.test_printing)
        done = visit.test_print if visit is not None else None
        if self.test_printing:
            self.test_result = _("正在打印测试页…")
        elif done is None:
            self.test_result = ""
        elif done.ok:
            self.test_result = _("测试页已打印（{job}）").format(job=done.detail)
        else:
            self.test_result = _("测试页未打印：{why}").format(why=done.detail)
