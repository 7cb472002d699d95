"""The kiosk's core built with its real parts: the platform client, the drivers by address, the
outbox and the kept list on disk. Shared by the app (main.py), the headless kiosk runner and the
tests, so all of them run exactly the same wiring."""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.config import Config


def platform_client(
    config: Config,
    *,
    wall_clock: Callable[[], float] = time.time,
    retries: int | None = None,
    observe: Callable | None = None,
):
    """The platform client as the kiosk uses it: its address, key, timeouts, CA and pins
    (`kiosk doctor` asks with the same one, without retries)."""
    from kiosk.platform import PlatformClient

    return PlatformClient(
        config.platform.url,
        config.device_id,
        config.platform.device_key,
        connect_timeout=config.platform.connect_timeout,
        read_timeout=config.platform.read_timeout,
        retries=config.platform.retries if retries is None else retries,
        signing=config.platform.signing,
        ca_file=str(config.platform.ca_file) if config.platform.ca_file else None,
        pins=config.platform.pin_sha256,
        wall_clock=wall_clock,
        observe=observe,
    )


def build_runtime(
    config: Config,
    call_soon: Callable[[Callable[[], None]], None],
    journey=None,
    *,
    wall_clock: Callable[[], float] = time.time,
):
    """The core with its real drivers, client and outbox (shared by the app and the tests).
    ``wall_clock``: the kiosk's idea of the time of day, for a test whose clock is off."""
    from drivers.registry import open_card_readers, open_printer, open_scanner
    from kiosk.runtime import Runtime
    from kiosk.sealing import Sealer
    from offline.catalogue_cache import CatalogueCache
    from offline.outbox import Outbox
    from offline.sync import SyncWorker

    metrics = None
    if config.metrics.enabled:  # prometheus-client only when asked for
        from kiosk.metrics import Metrics

        metrics = Metrics()
    platform = platform_client(
        config, wall_clock=wall_clock, observe=metrics.platform_call if metrics else None
    )
    outbox = Outbox(config.data_dir / "outbox.db")
    runtime = Runtime(
        config,
        platform=platform,
        printer=open_printer(config),
        card_reader=open_card_readers(config.devices.card_readers),
        scanner=open_scanner(config.devices.qr_scanner),
        outbox=outbox,
        delivery=lambda on_health: SyncWorker(
            outbox, platform, on_health=on_health, sealer=Sealer(config.platform.device_key)
        ),
        call_soon=call_soon,
        heartbeat_interval=5.0 if config.demo else 15.0,
        printer_poll_interval=2.0 if config.demo else 5.0,
        journey=journey,
        wall_clock=wall_clock,
        catalogue_cache=CatalogueCache(config.data_dir / "catalogue.db"),
    )
    runtime.desk.test_page = _test_page(config)
    runtime.desk.reopen = lambda new, kind: _reopen(runtime, new, kind)
    runtime.desk.candidates = _candidates
    runtime.desk.usb_ids = _usb_ids
    if metrics is not None:
        from kiosk.metrics import attach

        attach(runtime, config, metrics)
        runtime.metrics = metrics
    return runtime


def _reopen(runtime, config: Config, kind):
    """A device's new address applied in place (the technician screen): its driver reopened,
    and the test page follows a new printer."""
    from drivers.registry import reopen
    from kiosk.devices import DeviceKind

    sources = reopen(runtime, config, kind)
    if kind is DeviceKind.PRINTER:
        runtime.desk.test_page = _test_page(config)
    return sources


def _candidates(kind, current: str):
    from drivers.discovery import candidates

    return candidates(kind, current)


def _usb_ids(address: str) -> str:
    from drivers.discovery import address_usb_ids

    return address_usb_ids(address)


def _test_page(config: Config):
    """The page `kiosk printer test` prints, for the technician screen's test."""
    from drivers.printer_url import InvalidPrinterUrl, parse_printer_url
    from drivers.test_page import check_page

    p = config.printer
    try:
        printer = parse_printer_url(
            config.devices.printer,
            width_dots=p.width_dots,
            charset=p.charset,
            qr_mode=p.qr,
            mode=p.mode,
        )
    except InvalidPrinterUrl:
        return None
    return lambda status, job_id, today: check_page(printer, status, job_id, today)
