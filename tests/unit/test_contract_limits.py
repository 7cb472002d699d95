"""The kiosk's reply validators enforce exactly the limits of docs/platform-api.yaml.

The contract is the single source of the replies' limits (maxLength, maxItems, minimum/maximum,
enums, formats, required, nullable). The validators in kiosk/models.py, kiosk/document.py and
kiosk/platform.py keep their numbers in code, so that the kiosk starts without parsing YAML;
this test proves the two agree, in both directions: a limit in the code that the contract does
not state, and a contract limit the code does not enforce, both fail it.

How: every PlatformClient call is made with the HTTP exchange replaced by a stand-in
(``_call``), and the ``Reader`` it parses the reply with replaced by ``SpyReader``, which walks
the contract's schema for that operation and reply status alongside: each field the code reads
is compared with the schema's property, and every property the code never reads is reported.
No numbers are copied into this file; the few deliberate differences are listed with a reason.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

import kiosk.platform as platform_module
from kiosk import config
from kiosk.identity import CardType, IdentityCard
from kiosk.models import Subject, Ticket
from kiosk.platform import PlatformClient
from kiosk.qr import certificate_code
from kiosk.validate import InvalidData, Reader

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "platform-api.yaml").read_text(encoding="utf-8"))
SCHEMAS = SPEC["components"]["schemas"]

# Keywords of a property that this test compares with the code. Any other keyword on a property
# the kiosk reads is a limit nobody checks, and fails the test.
KNOWN = {
    "type",
    "maxLength",
    "maxItems",
    "minimum",
    "maximum",
    "enum",
    "format",
    "nullable",
    "default",
    "description",
    "example",
    "items",
    "properties",
    "required",
    "$ref",
}

# (schema, property) → why the code and the contract deliberately differ there.
TOLERATED_ABSENT = {
    ("Error.error", "message"): "never shown (the kiosk words errors from `code`); a gateway's "
    "error without one still yields its code",
}
REQUIRED_WHEN = {
    ("SessionPoll", key): "present exactly when status is confirmed (the schema says so)"
    for key in ("ticket", "rater_ref", "expires_at", "subject")
}
NOT_READ = {
    ("Error.error", "detail"): "for a technician at the platform; the kiosk logs code and message",
}
REPLIES_NOT_READ = {
    ("post", "/v1/identity/representative", "200"): "the status is the answer; "
    "`confirmed` is always true",
}


def resolve(schema: dict, name: str) -> tuple[dict, str]:
    """The schema behind a $ref, and its name (the component's, else the path it hangs on)."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        target: Any = SPEC
        for step in schema["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        schema = target
    return schema, name


# What each Reader method does with a missing key and with null: (refuses missing, takes null).
# test_the_spy_models_the_reader checks this table against the real Reader.
PRESENCE = {
    "str": (True, False),
    "opt_str": (False, True),
    "int": (True, False),
    "opt_int": (False, True),
    "number": (True, False),
    "choice": (True, False),
    "date": (True, False),
    "opt_date": (False, True),
    "datetime": (True, False),
    "opt_datetime": (False, True),
    "obj_": (True, False),
    "opt_obj": (False, True),
    "list": (True, False),
    "str_list": (True, False),
}


class SpyReader:
    """Stands in for kiosk.validate.Reader: reads nothing, compares each read with the schema."""

    def __init__(self, schema: dict, name: str, log: Findings) -> None:
        self.schema, self.name = resolve(schema, name)
        self.log = log
        self.read: set[str] = set()
        log.readers.append(self)
        if self.schema.get("type") != "object":
            log.add(f"{self.name}: the kiosk reads an object, the contract has {self.schema}")

    # ---- checks ---------------------------------------------------------------------------

    def _prop(self, key: str, method: str, presence: tuple[bool, bool] | None = None) -> dict:
        required, accepts_null = presence or PRESENCE[method]
        self.read.add(key)
        where = (self.name, key)
        props = self.schema.get("properties", {})
        if key not in props:
            self.log.add(f"{self.name}.{key}: read by the kiosk, not in the contract")
            return {}
        prop, _ = resolve(props[key], f"{self.name}.{key}")
        in_contract = key in self.schema.get("required", [])
        if in_contract and not required and where not in TOLERATED_ABSENT:
            self.log.add(f"{self.name}.{key}: required by the contract, optional in the kiosk")
        if required and not in_contract and where not in REQUIRED_WHEN:
            self.log.add(f"{self.name}.{key}: optional in the contract, required by the kiosk")
        if prop.get("nullable") and not accepts_null:
            self.log.add(f"{self.name}.{key}: the contract allows null, the kiosk refuses it")
        for keyword in set(prop) - KNOWN:
            self.log.add(f"{self.name}.{key}: contract `{keyword}` is not enforced by the kiosk")
        return prop

    def _same(self, key: str, what: str, contract: Any, code: Any) -> None:
        if contract != code:
            self.log.add(
                f"{self.name}.{key}: {what} {contract!r} in the contract, {code!r} in code"
            )

    def _string(self, key: str, prop: dict, max_len: int, allow_empty: bool, required: bool):
        self._same(key, "type", prop.get("type"), "string")
        self._same(key, "maxLength", prop.get("maxLength"), max_len)
        if required and allow_empty and "empty" not in prop.get("description", ""):
            self.log.add(
                f"{self.name}.{key}: the kiosk accepts it empty, the contract does not say"
            )

    # ---- the Reader interface -----------------------------------------------------------------

    def str(
        self,
        key: str,
        *,
        max_len: int = 10_000,
        allow_empty: bool = False,
        max_bytes: int | None = None,
    ) -> str:
        prop = self._prop(key, "str")
        self._string(key, prop, max_len, allow_empty, required=True)
        said = f"At most {max_bytes} bytes"  # JSON Schema counts characters: the words say it
        if max_bytes is not None and said not in prop.get("description", ""):
            self.log.add(f"{self.name}.{key}: the kiosk allows {max_bytes} bytes, unsaid")
        return "x"

    def opt_str(self, key: str, *, max_len: int = 10_000) -> str | None:
        prop = self._prop(key, "opt_str")
        self._string(key, prop, max_len, allow_empty=True, required=False)
        return "x"

    def int(self, key: str, *, lo: int | None = None, hi: int | None = None) -> int:
        return self._int(key, lo, hi, "int")

    def opt_int(self, key: str, *, lo: int | None = None, hi: int | None = None) -> int | None:
        return self._int(key, lo, hi, "opt_int")

    def _int(self, key: str, lo: int | None, hi: int | None, method: str) -> int:
        prop = self._prop(key, method)
        self._same(key, "type", prop.get("type"), "integer")
        self._same(key, "enum", prop.get("enum"), None)  # Reader.int checks a range only
        self._same(key, "minimum", prop.get("minimum"), lo)
        self._same(key, "maximum", prop.get("maximum"), hi)
        return lo or 0

    def number(self, key: str) -> float:
        prop = self._prop(key, "number")
        self._same(key, "type", prop.get("type"), "number")
        return 0.0

    def bool(self, key: str, default: bool | None = None) -> bool:
        prop = self._prop(key, "bool", (default is None, default is not None))
        self._same(key, "type", prop.get("type"), "boolean")
        self._same(key, "default", prop.get("default"), default)
        return bool(default)

    def choice(self, key: str, choices: tuple[str, ...] | list[str]) -> str:
        prop = self._prop(key, "choice")
        self._same(key, "type", prop.get("type"), "string")
        self._same(key, "enum", sorted(prop.get("enum", [])), sorted(choices))
        return self.log.choose.get((self.name, key), choices[0])

    def date(self, key: str) -> dt.date:
        return self._date(key, "date")

    def opt_date(self, key: str) -> dt.date | None:
        return self._date(key, "opt_date")

    def _date(self, key: str, method: str) -> dt.date:
        prop = self._prop(key, method)
        self._same(key, "format", (prop.get("type"), prop.get("format")), ("string", "date"))
        return dt.date(2025, 6, 12)

    def datetime(self, key: str) -> dt.datetime:
        return self._datetime(key, "datetime")

    def opt_datetime(self, key: str) -> dt.datetime | None:
        return self._datetime(key, "opt_datetime")

    def _datetime(self, key: str, method: str) -> dt.datetime:
        prop = self._prop(key, method)
        self._same(key, "format", (prop.get("type"), prop.get("format")), ("string", "date-time"))
        return dt.datetime(2025, 6, 12, 9, 30, tzinfo=dt.UTC)

    def obj_(self, key: str) -> SpyReader:
        return self._obj(key, "obj_")

    def opt_obj(self, key: str) -> SpyReader | None:
        return self._obj(key, "opt_obj")

    def _obj(self, key: str, method: str) -> SpyReader:
        self._prop(key, method)
        props = self.schema.get("properties", {})
        return SpyReader(props.get(key, {}), f"{self.name}.{key}", self.log)

    def list(self, key: str, item, *, max_len: int = 10_000) -> list:
        prop = self._prop(key, "list")
        self._same(key, "type", prop.get("type"), "array")
        self._same(key, "maxItems", prop.get("maxItems"), max_len)
        return [item(SpyReader(prop.get("items", {}), f"{self.name}.{key}[]", self.log))]

    def str_list(self, key: str, *, max_len: int = 1000) -> list[str]:
        prop = self._prop(key, "str_list")
        self._same(key, "type", prop.get("type"), "array")
        self._same(key, "maxItems", prop.get("maxItems"), max_len)
        items, _ = resolve(prop.get("items", {}), f"{self.name}.{key}[]")
        self._same(key, "items", items, {"type": "string"})
        return []


class Findings:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.readers: list[SpyReader] = []
        self.choose = {("SessionPoll", "status"): "confirmed"}  # the reply that carries most

    def add(self, text: str) -> None:
        if text not in self.found:
            self.found.append(text)

    def unread(self) -> None:
        for r in self.readers:
            for key in set(r.schema.get("properties", {})) - r.read:
                if (r.name, key) not in NOT_READ:
                    self.add(f"{r.name}.{key}: in the contract, never read by the kiosk")


# ---- driving every client call ------------------------------------------------------------


def _templates() -> dict[tuple[str, str], dict]:
    """(method, path template) → the contract's operation, for the kiosk's /v1 calls."""
    return {
        (method, path): op
        for path, ops in SPEC["paths"].items()
        if path.startswith("/v1/")
        for method, op in ops.items()
    }


def _operation(method: str, path: str) -> tuple[str, dict]:
    for (m, template), op in _templates().items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if m == method.lower() and re.fullmatch(pattern, path.split("?")[0]):
            return template, op
    raise AssertionError(f"{method} {path}: the kiosk calls an operation not in the contract")


class _Request:
    def __init__(self, method: str) -> None:
        self.method = method


class _Response:
    """What _read and the callers look at of a requests.Response."""

    def __init__(self, method: str, path: str, status: int) -> None:
        self.status_code = status
        self.content = b"{}"
        self.headers = {"ETag": '"x"'}
        self.url = "http://127.0.0.1" + path
        self.request = _Request(method)


CARD = IdentityCard(CardType.RESIDENT, "张三", "360426199101010071", birth_date=dt.date(1991, 1, 1))
TICKET = Ticket("t", "r", dt.datetime(2025, 6, 12, tzinfo=dt.UTC), Subject.PERSON)
CALLS = {
    "verify_identity": (CARD,),
    "verify_token": ("SXT1.token",),
    "start_identity_session": (),
    "poll_identity_session": ("session",),
    "verify_enterprise": ("91110108551385082Q",),
    "confirm_representative": (TICKET, CARD),
    "available_items": (TICKET,),
    "guide": ("1401002001300700", TICKET),
    "submit": (TICKET, "1401002001300700", "request"),
    "verify_certificate": ("ABCDEFGH12345678",),
    "queue_ticket": ("1401002001300700", "A08"),
    "cases": (TICKET,),
    "reprint": (TICKET, "14010020251201000000001", "request"),
    "catalogue": (),
    "send_ratings": ([],),
    "send_complaint": ({"complaint_id": "x"},),  # the spy answers every text with "x"
    "heartbeat": ({},),
}


def _json_schema(response: dict) -> dict | None:
    response, _ = resolve(response, "")
    return response.get("content", {}).get("application/json", {}).get("schema")


def drive(monkeypatch: pytest.MonkeyPatch) -> tuple[Findings, set[tuple[str, str]]]:
    """Every client call once per success status it accepts; the findings, and what was called."""
    log = Findings()
    called: set[tuple[str, str]] = set()
    state: dict[str, Any] = {}

    def fake_call(self, method: str, path: str, **kw: Any) -> _Response:
        template, op = _operation(method, path)
        called.add((method.lower(), template))
        declared = [s for s in kw.get("expect", (200,)) if str(s) in op["responses"]]
        assert declared, f"{method} {template}: no success status the kiosk accepts is declared"
        status = state["status"] if state.get("status") in declared else declared[0]
        state.update(op=op, template=template, method=method.lower(), status=status)
        state["statuses"] = declared
        return _Response(method, path, status)

    def reader(obj: Any, path: str = "reply") -> SpyReader:
        key = (state["method"], state["template"], str(state["status"]))
        state["read"].add(key)
        schema = _json_schema(state["op"]["responses"][str(state["status"])])
        assert schema is not None, f"{key}: the kiosk reads a reply the contract gives no body"
        return SpyReader(schema, "", log)

    monkeypatch.setattr(PlatformClient, "_call", fake_call)
    monkeypatch.setattr(platform_module, "Reader", reader)
    client = PlatformClient("http://127.0.0.1:9", "SX-TY-0001", bytes(32))
    state["read"] = set()
    for name, args in CALLS.items():
        state.pop("status", None)
        getattr(client, name)(*args)
        for status in state["statuses"][1:]:  # the other success statuses, one by one
            state["status"] = status
            getattr(client, name)(*args)
    for (method, template), op in _templates().items():
        if (method, template) not in called:
            continue
        for status, response in op["responses"].items():
            key = (method, template, status)
            has_body = status.startswith("2") and _json_schema(response) is not None
            if has_body and key not in state["read"] and key not in REPLIES_NOT_READ:
                log.add(f"{method.upper()} {template} {status}: reply never read by the kiosk")
    return log, called


def test_the_spy_knows_every_method_of_reader() -> None:
    """A new Reader method must be taught to SpyReader, with the same parameters."""
    public = {n for n in vars(Reader) if not n.startswith("_")} - {"obj", "path"}
    spied = {n for n in vars(SpyReader) if not n.startswith("_")} - {"log", "read"}
    assert public == spied
    for name in public:
        ours = inspect.signature(getattr(Reader, name)).parameters
        theirs = inspect.signature(getattr(SpyReader, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name


def _ok(read, value: Any) -> bool:
    """Whether ``read`` takes ``{"k": value}`` (``{}`` when value is ...) from the real Reader."""
    try:
        read(Reader({} if value is ... else {"k": value}))
    except InvalidData:
        return False
    return True


def _calls(method: str, value: Any) -> bool:
    args = {"choice": ("k", ["a"]), "list": ("k", lambda r: r)}.get(method, ("k",))
    return _ok(lambda r: getattr(r, method)(*args), value)


SAMPLES = {"str": "a", "opt_str": "a", "int": 1, "opt_int": 1, "number": 1.5, "choice": "a"}
SAMPLES |= {"date": "2025-06-12", "opt_date": "2025-06-12", "datetime": "2025-06-12T09:30:00Z"}
SAMPLES["opt_datetime"] = "2025-06-12T09:30:00Z"
SAMPLES |= {"obj_": {}, "opt_obj": {}, "list": [], "str_list": []}


@pytest.mark.parametrize("method", sorted(PRESENCE))
def test_the_spy_models_the_reader(method: str) -> None:
    """The spy's idea of what each Reader method refuses is the Reader's own."""
    refuses_missing, takes_null = PRESENCE[method]
    assert _calls(method, SAMPLES[method]), "a good value must pass"
    assert _calls(method, ...) is not refuses_missing
    assert _calls(method, None) is takes_null


def test_the_spy_models_the_readers_limits() -> None:
    """What the spy compares with the contract is what Reader enforces."""
    assert not _ok(lambda r: r.str("k", max_len=2), "abc")
    assert _ok(lambda r: r.str("k", max_len=3), "abc")
    assert not _ok(lambda r: r.str("k"), " ")  # required text is never blank ...
    assert _ok(lambda r: r.str("k", allow_empty=True), "")  # ... unless allowed
    assert _ok(lambda r: r.opt_str("k"), "")
    assert not _ok(lambda r: r.int("k", lo=1, hi=3), 4)
    assert not _ok(lambda r: r.int("k", lo=1, hi=3), 0)
    assert not _ok(lambda r: r.choice("k", ["a"]), "b")
    assert not _ok(lambda r: r.list("k", lambda x: x, max_len=1), [{}, {}])
    assert not _ok(lambda r: r.str_list("k", max_len=1), ["a", "b"])
    assert not _ok(lambda r: r.date("k"), "2025-06-12T00:00:00")
    assert not _ok(lambda r: r.datetime("k"), "2025-06-12T09:30:00")  # no time zone
    assert _ok(lambda r: r.bool("k", True), ...) and not _ok(lambda r: r.bool("k"), ...)


def test_every_kiosk_call_is_in_the_contract_and_every_operation_is_called(monkeypatch) -> None:
    _log, called = drive(monkeypatch)
    assert called == set(_templates()), "operations the kiosk never calls (or calls, unlisted)"


def test_the_reply_validators_enforce_exactly_the_contracts_limits(monkeypatch) -> None:
    log, _called = drive(monkeypatch)
    # error bodies are read by a function of their own, for every status
    monkeypatch.setattr(
        platform_module,
        "Reader",
        lambda obj, path="": SpyReader({"$ref": "#/components/schemas/Error"}, "", log),
    )
    platform_module._error_body(_Response("GET", "/v1/catalogue", 503))
    log.unread()
    assert not log.found, "the kiosk and docs/platform-api.yaml disagree:\n" + "\n".join(log.found)


def test_every_error_reply_of_the_contract_is_an_error_body() -> None:
    """The kiosk reads every non-2xx body with the Error schema: the contract must agree."""
    for (method, template), op in _templates().items():
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = _json_schema(response)
                assert schema is not None and resolve(schema, "")[1] == "Error", (
                    f"{method.upper()} {template} {status}"
                )


# ---- patterns of values the kiosk sends ---------------------------------------------------


def _param(template: str, name: str) -> dict:
    op = next(iter(SPEC["paths"][template].values()))
    return next(p for p in op["parameters"] if p.get("name") == name)["schema"]


CHARACTERS = [chr(c) for c in range(0x20, 0x7F)] + [
    "０",
    "Ｏ",
    "ı",
    "K",
]  # full-width, dotless i, Kelvin


@pytest.mark.parametrize("ch", CHARACTERS)
def test_the_certificate_code_pattern_is_the_kiosks(ch: str) -> None:
    """A scanned code the kiosk takes for a certificate is one the platform accepts, and back."""
    pattern = _param("/v1/certificates/{verification_code}", "verification_code")["pattern"]
    code = "ABCDEFGH1234567" + ch
    assert (re.fullmatch(pattern, code) is not None) == (certificate_code(code, ()) is not None)


def _example() -> dict:
    data = tomllib.loads((ROOT / "deploy" / "kiosk.example.toml").read_text())
    data["platform"].pop("device_key_file")
    data["platform"]["device_key"] = "00" * 16
    return data


def _config_accepts(section: str, key: str, value: str) -> bool:
    data = _example()
    data[section][key] = value
    try:
        config.parse(data, "test")
    except config.ConfigError:
        return False
    return True


@pytest.mark.parametrize(
    "value", ["140100", "14010", "140100123", "1401001234", "14010a", "１４０１００", "١٤٠١٠٠", ""]
)
def test_the_region_code_the_configuration_takes_is_one_the_contract_takes(value: str) -> None:
    pattern = SCHEMAS["Rating"]["properties"]["region_code"]["pattern"]
    assert _config_accepts("kiosk", "region_code", value) == bool(re.search(pattern, value))


@pytest.mark.parametrize("length", [1, 63, 64, 65])
def test_the_device_id_the_configuration_takes_fits_the_contract(length: int) -> None:
    limit = SCHEMAS["Rating"]["properties"]["device_id"]["maxLength"]
    path_limit = _param("/v1/devices/{device_id}/heartbeat", "device_id")["maxLength"]
    assert limit == path_limit
    assert _config_accepts("kiosk", "device_id", "D" * length) == (length <= limit)
