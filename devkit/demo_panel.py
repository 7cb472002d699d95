"""The demo panel: what a presenter does to the emulated devices (demo mode with a display only).

A small tab at the right edge opens a panel: put a citizen's card on the reader or take it off,
run the printer out of paper or open its cover, make the platform slow or take it away. It acts
on the emulators only; the kiosk notices through its real drivers like it would in a hall.
"""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from devkit.people import BY_KEY

CARDS = (
    ("zhang_wei", "张伟 在职·公积金"),
    ("wang_guilan", "王桂兰 78岁·长期证"),
    ("zheng_li", "郑丽 婚姻·承诺件"),
    ("liu_yan", "刘䶮 生僻字"),
    ("chen_hao", "陈浩 学生"),
    ("ma_yun", "马芸 无可办事项"),
    ("sun_qiang", "孙强 证件过期"),
    ("chan_kaming", "陈家明 港澳台居住证"),
    ("john_smith", "SMITH 永居证2017"),
    ("anna_ivanova", "IVANOVA 永居证2023"),
)


def demo_panel(app, stack) -> FloatLayout:
    layer = FloatLayout()
    panel = BoxLayout(
        orientation="vertical",
        size_hint=(None, None),
        width=dp(190),
        spacing=dp(4),
        padding=dp(6),
        pos_hint={"right": 1, "top": 0.85},
    )
    panel.height = dp(560)

    from kivy.graphics import Color, Rectangle

    with panel.canvas.before:
        Color(0.1, 0.12, 0.16, 0.92)
        bg = Rectangle(pos=panel.pos, size=panel.size)
    panel.bind(pos=lambda w, v: setattr(bg, "pos", v), size=lambda w, v: setattr(bg, "size", v))

    body = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
    body.bind(minimum_height=body.setter("height"))
    scroll = ScrollView(do_scroll_x=False)
    scroll.add_widget(body)
    panel.add_widget(Label(text="演示面板", size_hint_y=None, height=dp(26), bold=True))
    panel.add_widget(scroll)

    def section(title: str) -> None:
        body.add_widget(
            Label(
                text=title,
                size_hint_y=None,
                height=dp(24),
                color=(0.7, 0.8, 1, 1),
                font_size=dp(13),
            )
        )

    def button(kid: str, text: str, action) -> None:
        b = Button(text=text, size_hint_y=None, height=dp(34), font_size=dp(13))
        b.kid = f"demo.{kid}"  # the autopilot taps the panel like a presenter would
        b.bind(on_release=lambda *_: action())
        body.add_widget(b)

    section("身份证读卡器")
    for key, label in CARDS:
        if key in BY_KEY:
            button(f"card:{key}", f"放置：{label}", lambda k=key: stack.place_card(k))
    button("remove", "移走证件", stack.remove_card)
    from devkit.sam_emulator import Fault

    for fault, label in (
        (Fault.SELECT_FAILED, "故障：选卡失败(81)"),
        (Fault.READ_FAILED, "故障：读卡失败(41)"),
        (Fault.BAD_CHECKSUM, "故障：校验和错误"),
        (Fault.TRUNCATED, "故障：帧不完整"),
        (Fault.SILENT, "故障：读卡无应答"),
    ):
        button(f"fault:{fault.value}", label, lambda f=fault: stack.sam.inject_fault(f))
    button("sam:unplug", "拔出读卡器USB", stack.sam.unplug)
    button("sam:replug", "插回读卡器USB", stack.sam.replug)
    if stack.pcsc is not None:
        section("社保卡读卡器（PC/SC）")
        button(
            "social:wang_guilan",
            "插入社保卡：王桂兰",
            lambda: stack.insert_social_card("wang_guilan"),
        )
        button(
            "social:zhou_xiuying",
            "插入社保卡：周秀英",
            lambda: stack.insert_social_card("zhou_xiuying"),
        )
        button("social:remove", "拔出社保卡", stack.remove_social_card)

    section("扫码器")
    button("qr:app", "出示三晋通身份码：张伟", lambda: stack.show_app_code("zhang_wei"))
    button("qr:licence", "营业执照：晋商科技", lambda: stack.scan_licence("jinshang_tech"))
    button("qr:licence2", "营业执照：汾河食品", lambda: stack.scan_licence("fenhe_food"))
    button("qr:certificate", "扫描刚打印的证明", stack.scan_last_certificate)
    button("qr:unknown", "扫描其他二维码", lambda: stack.scanner.scan("https://example.com/hello"))

    def confirm_phone() -> None:
        session = app.journey.phone_session
        if session is not None:
            stack.confirm_phone(session.session_id, "zhang_wei")

    button("phone:confirm", "手机扫码并确认：张伟", confirm_phone)

    section("打印机")
    printer = stack.printer
    button(
        "printer:ok", "正常", lambda: printer.set_state(paper="ok", cover_open=False, online=True)
    )
    button("printer:near_end", "纸将尽", lambda: printer.set_state(paper="near_end"))
    button("printer:out", "缺纸", lambda: printer.set_state(paper="out"))
    button("printer:cover", "打开机盖", lambda: printer.set_state(cover_open=True))
    button("printer:offline", "离线", lambda: printer.set_state(online=False))

    section("政务服务平台")
    platform = stack.platform
    button("platform:ok", "正常", lambda: platform.set_faults())
    button("platform:slow", "慢（2 秒）", lambda: platform.set_faults(latency_ms=2000))
    button("platform:flaky", "一半请求失败", lambda: platform.set_faults(failure_rate=0.5))
    button("platform:down", "断开网络", lambda: platform.set_faults(mode="refuse"))

    tab = Button(
        text="演示",
        size_hint=(None, None),
        size=(dp(44), dp(90)),
        pos_hint={"right": 1, "top": 0.95},
        background_color=(0.1, 0.12, 0.16, 0.85),
    )

    def toggle(*_args) -> None:
        # hidden means removed: a hidden widget must not swallow the kiosk's touches
        if panel.parent is None:
            layer.add_widget(panel, index=1)
        else:
            layer.remove_widget(panel)

    tab.kid = "demo.tab"
    tab.bind(on_release=toggle)
    layer.add_widget(tab)
    return layer
