"""The `jumperless` MicroPython module, one declaration per function (protocol §4).

Each entry says what the firmware accepts (argument kinds, ranges, defaults),
what it returns (and so how its printed repr is parsed back), which firmware
family (and version range) has it, and whether it changes the board or may
block. The host builds calls from these entries. `tests/test_catalog_firmware.py`
checks every entry against the firmware's own signature table (parsed from its C
source), so an entry cannot claim an arity, a default or a return kind the
firmware does not have. Line numbers cited below are of `modjumperless.c`
(mjc) in the fork (JOS, 5.7.0.13) and V5 (5.3.2.4) trees of
`../shared/reference/firmware-src` ("JOS API" is the fork's
`src/JumperlessMicroPythonAPI.cpp`), and, where marked 796c56c or 7077df9, of
upstream Architeuthis-Flux/JumperlOS's `modules/jumperless/modjumperless.c` at
that commit (7077df9 is not in ../shared; its table is in `firmware_table.py`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from firmware_api.versions import Family, FirmwareVersion

LEGACY, JOS, BOTH = Family.LEGACY, Family.JUMPERLOS, Family.BOTH


class ArgKind(enum.Enum):
    """How a value is checked and turned into what the firmware expects."""

    NODE = "node"  # int id or any node name/alias
    SLOT = "slot"  # 0-7
    DAC_CHANNEL = "dac_channel"  # 0-3 or DAC0/DAC1/TOP_RAIL/BOTTOM_RAIL
    ADC_CHANNEL = "adc_channel"  # 0-3 (the firmware rejects 4 and 7 here)
    INA_SENSOR = "ina_sensor"  # 0-1
    GPIO_PIN = "gpio_pin"  # 1-10, 20-27 or GPIO_n / UART_TX / UART_RX names
    PWM_PIN = "pwm_pin"  # 1-8 or GPIO_n names
    WAVE = "wave"  # 0-4 or sine/triangle/sawtooth/square/arbitrary
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STR = "str"
    JSON = "json"  # a JSON document passed as a string
    COLORS = "colors"  # a list of 0xRRGGBB ints, flat or row by row (sent as a list literal)
    STR_OR_INT = "str_or_int"  # text, or an int (oled_set: mp_obj_is_str, else mp_obj_get_int)
    STR_OR_FLOAT = "str_or_float"  # text, or a number (oled_set_var: mp_obj_is_str, else mp_obj_get_float)


class Returns(enum.Enum):
    """The kind of value a function returns, which fixes how its repr parses."""

    NONE = "none"
    FLOAT = "float"
    OPTIONAL_FLOAT = "optional_float"
    INT = "int"
    BOOL = "bool"
    STR = "str"
    GPIO_STATE = "gpio_state"
    GPIO_DIRECTION = "gpio_direction"
    GPIO_PULL = "gpio_pull"
    CONNECTION_STATE = "connection_state"
    PROBE_PAD = "probe_pad"
    PROBE_BUTTON = "probe_button"
    NODE = "node"
    JSON = "json"  # a str holding JSON (get_state)
    LITERAL = "literal"  # dict / list / tuple / None, parsed as a Python literal
    OPTIONAL_DICT = "optional_dict"  # a dict, or None
    BYTES = "bytes"


REQUIRED = object()
Firmware = Family | FirmwareVersion  # what a lookup may be narrowed by: a family, or a connected version


@dataclass(frozen=True)
class Arg:
    """One positional argument.

    `default` is what the host uses when its caller leaves the argument out. `firmware_default` is what
    the firmware itself uses when the argument is not sent: REQUIRED (the default) means the host always
    sends it, because the firmware needs it or gives its omission a meaning no host value has.
    `Call.source` leaves a trailing argument out only when its value is the firmware default.
    `count_of` names the arguments whose product is the number of items a COLORS list must hold.
    """

    name: str
    kind: ArgKind
    default: object = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""
    firmware_default: object = REQUIRED
    count_of: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        """Whether the host's caller must give it (the firmware may still accept it left out)."""
        return self.default is REQUIRED

    @property
    def omittable(self) -> bool:
        """Whether the firmware accepts a call without it (and then uses `firmware_default`)."""
        return self.firmware_default is not REQUIRED


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Arg, ...]
    returns: Returns
    families: Family
    aliases: tuple[str, ...] = ()
    mutates: bool = False
    blocking: bool = False  # may take long: waits on the user (probe, buttons), a live mode or a measurement
    optional: bool = False  # only in some builds of the family: check before relying on it
    doc: str = ""
    since: FirmwareVersion | tuple[int, ...] | None = None  # first firmware version that has it
    until: FirmwareVersion | tuple[int, ...] | None = None  # first firmware version that no longer has it
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", (self.name, *self.aliases))
        for bound in ("since", "until"):
            value = getattr(self, bound)
            if isinstance(value, tuple):
                object.__setattr__(self, bound, FirmwareVersion(value))

    def available_in(self, firmware: Firmware) -> bool:
        """Whether a family (any version of it) or one firmware version has this function."""
        if isinstance(firmware, Family):
            return bool(self.families & firmware)
        return bool(self.families & firmware.family) and self.in_versions(firmware)

    def in_versions(self, version: FirmwareVersion) -> bool:
        """Whether `version` lies in [since, until) (ignoring the family)."""
        since, until = self.since, self.until
        return (since is None or version >= since) and (until is None or version < until)  # type: ignore[operator]

    def requirement(self) -> str:
        """The firmware versions that have it, in words ("" when every version of its families has it)."""
        parts = ([f"{self.since} or later"] if self.since else []) + ([f"before {self.until}"] if self.until else [])
        return " and ".join(parts)


def _a(
    name: str,
    kind: ArgKind,
    default: object = REQUIRED,
    lo: float | None = None,
    hi: float | None = None,
    *,
    omitted: object = REQUIRED,
) -> Arg:
    """An argument; `omitted` is the value the firmware uses when it is not sent (REQUIRED: always send it)."""
    return Arg(name, kind, default, lo, hi, firmware_default=omitted)


def _same(name: str, kind: ArgKind, default: object, lo: float | None = None, hi: float | None = None) -> Arg:
    """An optional argument the firmware defaults to the same value when it is not sent."""
    return _a(name, kind, default, lo, hi, omitted=default)


NODE1, NODE2 = _a("node1", ArgKind.NODE), _a("node2", ArgKind.NODE)
PIN = _a("pin", ArgKind.GPIO_PIN)
PWM_PIN = _a("pin", ArgKind.PWM_PIN)
SENSOR = _a("sensor", ArgKind.INA_SENSOR)
VOLTS = _a("voltage", ArgKind.FLOAT, lo=-8.0, hi=8.0)
NET = _a("net", ArgKind.INT, lo=0, hi=127)
F, R = Function, Returns


# The net scan (get_node_voltage & co.) is absent from 5.7.0.13 and present in the stable-5.7.5 tree (796c56c,
# recorded as 5.7.5) and later; its first release is not known (in the 5.7.4.1 lineage per upstream
# CodeDocs/STABLE_5.7.5_RELEASE.md), so builds in between may lack it: `optional`.
SCAN_SINCE = (5, 7, 5)
# Upstream removed the logic analyzer in commit 54c931d, before the 5.7.2.0 checkpoint (CodeDocs/DEV_MERGE_HANDOFF.md
# rows 11 and 18): no la_* name in 796c56c (5.7.5) or 7077df9 (5.7.11).
LA_UNTIL = (5, 7, 2)
HZ = 10_000.0  # the wavegen's top frequency (the firmware clamps only the bottom: JumperlessMicroPythonAPI.cpp :227)


def _wavegen() -> list[Function]:
    """Setters and getters each with set_wavegen_* / get_wavegen_* aliases (§4.5)."""
    setters = [
        ("output", _a("channel", ArgKind.DAC_CHANNEL), R.INT),
        ("freq", _a("hz", ArgKind.FLOAT, lo=0.0001, hi=HZ), R.FLOAT),
        ("wave", _a("wave", ArgKind.WAVE), R.INT),  # 4 (arbitrary) raises NotImplementedError
        ("amplitude", _a("vpp", ArgKind.FLOAT, lo=0.0, hi=16.0), R.FLOAT),
        ("offset", _a("volts", ArgKind.FLOAT, lo=-8.0, hi=8.0), R.FLOAT),
    ]
    out: list[Function] = []
    for what, arg, getter_returns in setters:
        out.append(F(f"wavegen_set_{what}", (arg,), R.NONE, BOTH, (f"set_wavegen_{what}",), mutates=True))
        out.append(F(f"wavegen_get_{what}", (), getter_returns, BOTH, (f"get_wavegen_{what}",)))
    out += [
        F(
            "wavegen_set_sweep",
            (
                _a("start_hz", ArgKind.FLOAT, lo=0.0001, hi=HZ),
                _a("end_hz", ArgKind.FLOAT, lo=0.0001, hi=HZ),
                _a("seconds", ArgKind.FLOAT, lo=0.0, hi=3600.0),
            ),
            R.NONE,
            BOTH,
            ("set_wavegen_sweep",),
            mutates=True,
        ),
        # run omitted = True (JOS mjc :1939, V5 :1213)
        F("wavegen_start", (_same("run", ArgKind.BOOL, True),), R.NONE, BOTH, ("start_wavegen",), mutates=True),
        F("wavegen_stop", (), R.NONE, BOTH, ("stop_wavegen",), mutates=True),
        F("wavegen_is_running", (), R.BOOL, BOTH),
    ]
    return out


def _probe() -> list[Function]:
    """The probe and its button: one entry per firmware arity (JOS mjc :3641-3865, V5 :1877-2064).

    The `*_blocking`/`wait` names take no arguments and wait for a touch; `probe_read_nonblocking`,
    `probe_button_nonblocking`, `check_button` and `button_check` return at once. JumperlOS's
    `probe_button_blocking/_nonblocking` take `consume`, not `blocking`.
    """
    pad, button = R.PROBE_PAD, R.PROBE_BUTTON
    blocking = _same("blocking", ArgKind.BOOL, True)  # omitted = True (JOS :3694, V5 :1928)
    consume = _same("consume", ArgKind.BOOL, False)  # omitted = 0 (JOS :3662, :3675)
    waits = ("probe_wait", "wait_probe", "probe_touch", "wait_touch")
    return [
        F("probe_read", (blocking,), pad, BOTH, ("read_probe",), blocking=True),
        F("probe_read_blocking", (), pad, BOTH, waits, blocking=True),
        F("probe_read_nonblocking", (), pad, BOTH),
        F("probe_button", (blocking,), button, LEGACY, ("get_button", "button_read", "read_button"), blocking=True),
        F(
            "probe_button",
            (blocking, consume),
            button,
            JOS,
            ("get_button", "button_read", "read_button"),
            blocking=True,
        ),
        F("probe_button_blocking", (), button, LEGACY, blocking=True),
        F("probe_button_blocking", (consume,), button, JOS, blocking=True),
        F("probe_button_nonblocking", (), button, LEGACY),
        F("probe_button_nonblocking", (consume,), button, JOS),
        F("check_button", (), button, BOTH, ("button_check",), doc="does not wait; never consumes the press"),
    ]


# Upstream's USB audio microphone came with commit 68b93e3, before the 5.7.2.0 checkpoint (CodeDocs/DEV_MERGE_HANDOFF.md
# @03022d3 rows 7 and 18); CodeDocs/STABLE_5.7.5_RELEASE.md: every tag from 5.7.2.0 on has it. In 796c56c and 7077df9.
USB_AUDIO_SINCE = (5, 7, 2)
# Projects, parts and the background callback were dev-branch work left out of stable 5.7.5.0
# (STABLE_5.7.5_RELEASE.md) and are registered in 5.7.11.0 (CodeDocs/HANDOFF_2026-09-07_DOCS_SWEEP.md :88-97):
# absent from 796c56c (5.7.5), present in 7077df9 (5.7.11). No release in between is known to have them.
PARTS_SINCE = (5, 7, 11)
ROW = (1, 60)  # breadboard rows (vendor stub scripts/jumperless.pyi @c6a51a4 :756, place_part's row)
INT16 = (-32768, 32767)  # OLED coordinates: OledGui keeps them as int16_t (JOS API :1946, :1960)
FLOAT32_MAX = 3.4e38  # below FLT_MAX: a larger double becomes inf when the firmware casts it to float


def _oled_screens() -> list[Function]:
    """JumperlOS's retained OLED screens (JOS mjc :3380-3525; the same macros at 7077df9 mjc :3900-4025).

    A screen is a handle 1-255 (0: none left, or not found); an element handle packs its screen and index as
    (screen << 8) | index, and -1 means refused (JOS API :1890-1895 over OledGui). No wrapper raises; the
    converters' TypeErrors aside.
    """
    screen = _a("screen", ArgKind.INT, lo=1, hi=255)
    name = _a("name", ArgKind.STR)
    x, y = _same("x", ArgKind.INT, 0, *INT16), _same("y", ArgKind.INT, 0, *INT16)
    z = _same("z", ArgKind.INT, 0, -128, 127)  # int8_t (JOS API :1948)
    return [
        F(
            "oled_screen",
            (),
            R.INT,
            JOS,
            mutates=True,
            doc="a new screen's handle; 0 when none is left (JOS mjc :3403)",
        ),
        F("oled_screen_free", (screen,), R.NONE, JOS, mutates=True),  # FUN_OBJ_1 (JOS mjc :3409)
        F("oled_screen_clear", (screen,), R.NONE, JOS, mutates=True, doc="removes the screen's elements (:3415)"),
        F(
            "oled_screen_show",
            (screen, _same("persist", ArgKind.BOOL, False)),  # VAR_BETWEEN(1, 2), persist omitted = 0 (JOS mjc :3421)
            R.BOOL,
            JOS,
            mutates=True,
            doc="shows the screen now; persist=True makes it the idle display, kept after the script (JOS API "
            ":1910-1925); False for an unknown screen",
        ),
        F(
            "oled_screen_hide",
            (),
            R.NONE,
            JOS,
            mutates=True,
            doc="blanks the panel and forgets the idle screen (:3430)",
        ),
        F("oled_screen_reset", (), R.NONE, JOS, mutates=True, doc="frees every screen and blanks the panel (:3436)"),
        F(
            "oled_add_text",
            # KW(2) (JOS mjc :3440-3465): every argument positional-or-keyword, so the host sends them by position;
            # font omitted (None) = "Pragmatism" (:3456), size <= 0 = 8 (API :1946)
            (
                screen,
                _a("text", ArgKind.STR),
                x,
                y,
                _same("font", ArgKind.STR, "Pragmatism"),
                _same("size", ArgKind.INT, 8, 1, 255),
                _same("halign", ArgKind.INT, -1, -1, 3),
                _same("valign", ArgKind.INT, -1, -1, 3),
                z,
            ),
            R.INT,
            JOS,
            mutates=True,
            doc="adds a text element ({name} tokens show oled_set_var values); halign and valign both 0-2 "
            "(left/top, centre, right/bottom; 3 free) anchor it, -1 places it at x, y (JOS API :1942-1954, "
            "oledgui.py :45-54); the element's handle, -1 if refused",
        ),
        F(
            "oled_add_shape",
            # KW(1) (JOS mjc :3469-3488): kind omitted = 1, the rest 0 (filled != 0 is filled: API :1960)
            (
                screen,
                _same("kind", ArgKind.INT, 1, 0, 2),
                x,
                y,
                _same("w", ArgKind.INT, 0, *INT16),
                _same("h", ArgKind.INT, 0, *INT16),
                _same("filled", ArgKind.BOOL, False),
                z,
            ),
            R.INT,
            JOS,
            mutates=True,
            doc="adds a shape: kind 0 line from (x, y) to (x+w, y+h), 1 rectangle outline, 2 filled rectangle "
            "(oledgui.py :56-58, :181); the element's handle, -1 if refused",
        ),
        F(
            "oled_set",
            # FUN_OBJ_3 (JOS mjc :3492-3502): a str value sets a text property, anything else goes through
            # mp_obj_get_int
            (_a("element", ArgKind.INT, lo=0x100, hi=0xFFFF), _a("prop", ArgKind.STR), _a("value", ArgKind.STR_OR_INT)),
            R.BOOL,
            JOS,
            mutates=True,
            doc="sets an element property: text/font take text; x/y/w/h/z/size/visible/anchor/halign/valign/"
            "shape/filled take integers (vendor stub jumperless.pyi :1041); False when refused",
        ),
        F(
            "oled_set_var",
            # FUN_OBJ_2 (JOS mjc :3506-3514): text kept verbatim, anything else (float)mp_obj_get_float
            (_a("name", ArgKind.STR), _a("value", ArgKind.STR_OR_FLOAT, lo=-FLOAT32_MAX, hi=FLOAT32_MAX)),
            R.NONE,
            JOS,
            mutates=True,
            doc="sets the live value {name} tokens of text elements show (re-renders the active screen)",
        ),
        F("oled_screen_save", (screen, name), R.BOOL, JOS, mutates=True, doc="writes /screens/<name>.json (:3520)"),
        F(
            "oled_screen_load",
            (name,),
            R.INT,
            JOS,
            mutates=True,
            doc="loads /screens/<name>.json into a new screen: its handle, 0 on failure (:3525)",
        ),
    ]


def _oled_fonts_and_bitmaps() -> list[Function]:
    """Print mirroring, fonts and bitmaps (JOS mjc :3240-3332 over JOS API :1756-1828; 7077df9 mjc :3742-3832)."""
    path = _a("path", ArgKind.STR)
    x, y = _a("x", ArgKind.INT, lo=INT16[0], hi=INT16[1]), _a("y", ArgKind.INT, lo=INT16[0], hi=INT16[1])
    return [
        F(
            "oled_copy_print",
            (_a("enabled", ArgKind.BOOL),),  # FUN_OBJ_1, mp_obj_is_true (JOS mjc :3243-3247)
            R.NONE,
            JOS,
            mutates=True,
            doc="mirror print() output on the OLED as small scrolling text (JOS API :1756)",
        ),
        F("oled_get_fonts", (), R.LITERAL, JOS, doc="the font family names, a list of str (JOS mjc :3250-3280)"),
        F(
            "oled_set_font",
            (_a("name", ArgKind.STR),),
            R.BOOL,
            JOS,
            mutates=True,
            doc="a family from oled_get_fonts(); False for an unknown one (JOS API :1776)",
        ),
        F("oled_get_current_font", (), R.STR, JOS, doc="'' when no display is connected (JOS API :1789)"),
        F(
            "oled_load_bitmap",
            (path,),
            R.BOOL,
            JOS,
            mutates=True,
            doc="loads a bitmap file for oled_display_bitmap; False if it cannot (JOS API :1800)",
        ),
        F(
            "oled_display_bitmap",
            # VAR_BETWEEN(4, 5) (JOS mjc :3305-3322): the fifth argument, a buffer of pixel data, is never sent by
            # the host, so the bitmap oled_load_bitmap loaded is drawn, at its own size (JOS API :1804-1821);
            # width and height only size a given buffer, so they are sent as 0, as oled_show_bitmap_file does (:1825)
            (x, y, _a("width", ArgKind.INT, 0, 0, INT16[1]), _a("height", ArgKind.INT, 0, 0, INT16[1])),
            R.BOOL,
            JOS,
            mutates=True,
            doc="draws the bitmap loaded by oled_load_bitmap at x, y; False without a display or a loaded bitmap",
        ),
        F(
            "oled_show_bitmap_file",
            (path, x, y),  # VAR_BETWEEN(3, 3) (JOS mjc :3325-3332)
            R.BOOL,
            JOS,
            mutates=True,
            doc="oled_load_bitmap, then oled_display_bitmap at x, y",
        ),
    ]


def _usb_audio() -> list[Function]:
    """Upstream's USB audio microphone, two ADC channels as a stereo input (7077df9 mjc :1999-2115; 796c56c too).

    usb_audio_enable/disable (and usb_audio_setup, which enables) re-enumerate USB: the board's serial ports drop
    and come back under the same names a couple of seconds later (7077df9 mjc :2001-2006), so the session
    reconnects. Capture starts when a computer opens the input device, not from Python.
    """
    since = USB_AUDIO_SINCE
    return [
        F(
            "usb_audio_setup",
            # KW(0) (7077df9 mjc :2030-2057): left, right, full_scale, dc_block, all positional-or-keyword (no
            # MP_ARG_KW_ONLY), so the host sends them by position. Omitted, full_scale keeps the current range
            # (MP_OBJ_NULL, :2037, :2048): no host value means that, so the 8.0 V of the C comment (:2028) is sent.
            (
                _same("left", ArgKind.INT, 0, 0, 7),
                _same("right", ArgKind.INT, 1, 0, 7),
                _a("full_scale", ArgKind.FLOAT, 8.0, 0.05, 20.0),
                _same("dc_block", ArgKind.BOOL, True),
            ),
            R.BOOL,
            JOS,
            ("audio_setup",),
            mutates=True,
            since=since,
            doc="routes ADC channels left and right (distinct, 0-7) to the microphone's L/R with full_scale volts "
            "(0.05-20) and enables it; ValueError for equal channels (:2044-2051); False when the device "
            "cannot be enabled (the OG board)",
        ),
        F("usb_audio_enable", (), R.BOOL, JOS, mutates=True, since=since, doc="shows the microphone to USB (:2008)"),
        F(
            "usb_audio_disable",
            (),
            R.BOOL,
            JOS,
            ("usb_audio_teardown",),
            mutates=True,
            since=since,
            doc="removes the microphone from USB (:2013)",
        ),
        F("usb_audio_is_enabled", (), R.BOOL, JOS, since=since),  # FUN_OBJ_0 (:2018-2021)
        F("usb_audio_active", (), R.BOOL, JOS, since=since, doc="whether a computer is streaming from it (:2023)"),
        F(
            "usb_audio_status",
            (),
            R.LITERAL,
            JOS,
            ("audio_status",),
            since=since,
            doc="a dict of 17 keys (:2082-2114): enabled, streaming, host_open, dc_block (bool); left, right "
            "(ADC channels), sample_rate, pending_rate (Hz), frames_sent and the error counters fifo_overflow, "
            "adc_overrun, late_irq, resyncs, probe_pauses, claim_fail, init_fail (int); full_scale (float, volts)",
        ),
        F(
            "usb_audio_set_range",
            (_a("volts", ArgKind.FLOAT, lo=0.05, hi=20.0),),  # FUN_OBJ_1, mp_obj_get_float (:2074-2080)
            R.BOOL,
            JOS,
            mutates=True,
            since=since,
            doc="the full-scale input range in volts; True (ValueError outside 0.05-20)",
        ),
        F(
            "usb_audio_set_rate",
            (_a("hz", ArgKind.INT, lo=8000, hi=48000),),  # FUN_OBJ_1, mp_obj_get_int (:2065-2072)
            R.BOOL,
            JOS,
            mutates=True,
            since=since,
            doc="the sample rate in Hz, whole kHz only (ValueError otherwise); True",
        ),
        F("usb_audio_save", (), R.BOOL, JOS, mutates=True, since=since, doc="keeps the settings over a reboot; True"),
    ]


def _parts_and_projects() -> list[Function]:
    """Upstream's projects, parts and background callback (7077df9 mjc :2618-2935; not in 796c56c).

    Refusals are printed on the serial stream and returned as -1 / False, never raised (API excerpts @7077df9).
    `bg_start(callback, interval_ms=50)` (:2901-2924) is left out: it takes a Python callable, which the host
    cannot send as a value. The identification functions measure the parts in place with the Kelvin fixture
    (part_fingerprint ~0.7 s per pin, :2681-2687; part_vectors powers the chip), so they are `blocking` for the
    long timeout; part_fingerprint and part_vectors are only known in 7077df9, not in the 5.7.11.0 docs: optional.
    """
    since = PARTS_SINCE
    row = _a("row", ArgKind.INT, lo=ROW[0], hi=ROW[1])
    chip = tuple(_a(n, ArgKind.INT, lo=ROW[0], hi=ROW[1]) for n in ("base_row", "width", "gnd_row", "vdd_row"))
    identification = "; the result text is not documented beyond that comment"
    return [
        F(
            "load_project",
            (_a("name_or_path", ArgKind.STR),),  # FUN_OBJ_1 (:2637-2645)
            R.BOOL,
            JOS,
            mutates=True,
            since=since,
            doc="a name opens the project's run file /projects/<name>/<name>_run.yaml (made from its wiring when "
            "new); text with '/' loads that slot file (:2621-2644); False on failure (reason printed)",
        ),
        F(
            "place_part",
            # VAR_BETWEEN(3, 7) (:2649-2660): the optional texts are "" when omitted
            (
                _a("name", ArgKind.STR),
                row,
                _a("pins", ArgKind.JSON),
                _same("footprint", ArgKind.STR, ""),
                _same("type", ArgKind.STR, ""),
                _same("value", ArgKind.STR, ""),
                _same("part_id", ArgKind.STR, ""),
            ),
            R.INT,
            JOS,
            mutates=True,
            since=since,
            doc="places a part with pin 1 at row and bridges its legs: pins maps a pin name to {pin (1-based), or "
            "offset; connect (a row or node name); class}; footprint dipN/sipN/axialN ('' infers a SIP); "
            "name 1-15 printable characters, unique; a part_id placed again at the same row updates it; "
            "0, or -1 when refused (reason printed)",
        ),
        F(
            "remove_part",
            (_a("name", ArgKind.STR),),
            R.INT,
            JOS,
            mutates=True,
            since=since,
            doc="0, -1 if no such part",
        ),
        F(
            "list_parts",
            (),
            R.LITERAL,
            JOS,
            since=since,
            doc="a list of dicts (:2726-2804): name, type, value, footprint, placement ('expanded'/'compact'/"
            "'custom') str; row int; placed bool; measured float ohms (0.0 = not measured this session); pins "
            "{pin name: {node int (-1 off the board), connect int (-1 none), class str}}",
        ),
        F("guide_progress", (), R.INT, JOS, since=since, doc="the guided-placement step, -1 with no guide (:2807)"),
        F(
            "part_identify",
            # VAR_BETWEEN(2, 3) (:2671-2678): row3 omitted = -1
            (
                *(_a(n, ArgKind.INT, lo=ROW[0], hi=ROW[1]) for n in ("row1", "row2")),
                _same("row3", ArgKind.INT, -1, -1, ROW[1]),
            ),
            R.STR,
            JOS,
            mutates=True,
            blocking=True,
            since=since,
            doc="identifies the part alone on these rows: 'type=... conf=... rows=... roles=...', status=-3 for rows "
            f"with wiring (:2668-2670){identification}",
        ),
        F(
            "part_fingerprint",
            chip,  # VAR_BETWEEN(4, 4) (:2688-2697)
            R.STR,
            JOS,
            mutates=True,
            blocking=True,
            optional=True,
            since=since,
            doc="unpowered clamp fingerprint of a DIP at base_row: 'status=... fp=... match=... pins=...', fp one "
            "letter per pin (G/V/B clamps gnd/vdd/both, N open, T tied, - rail, x unprobed) "
            f"(:2680-2687){identification}",
        ),
        F(
            "part_vectors",
            chip,  # VAR_BETWEEN(4, 4) (:2704-2713)
            R.STR,
            JOS,
            mutates=True,
            blocking=True,
            optional=True,
            since=since,
            doc="POWERS the chip and runs each candidate's truth-table vectors: 'status=0 tried=... cands=...' "
            f"with id:pass, id:fail@<step> or id:refused per candidate (:2699-2703){identification}",
        ),
        F("bg_stop", (), R.NONE, JOS, mutates=True, since=since, doc="stops the bg_start callback (:2926)"),
        F("bg_active", (), R.BOOL, JOS, since=since, doc="whether a bg_start callback is registered (:2932)"),
    ]


CATALOG: tuple[Function, ...] = (
    # --- nodes and connections (§4.2)
    F(
        "connect",
        (NODE1, NODE2, _same("save", ArgKind.BOOL, False)),  # omitted = 0 (V5 :1558)
        R.NONE,
        LEGACY,
        mutates=True,
        doc="save=False only changes RAM; is_connected reads the saved file on 5.3.x",
    ),
    F(
        "connect",
        (NODE1, NODE2, _same("duplicates", ArgKind.INT, -1, -1, 8)),  # omitted = -1 (JOS :2342)
        R.NONE,
        JOS,
        mutates=True,
        doc="forbidden or invalid pairs are ignored silently: read back with is_connected",
    ),
    F(
        "disconnect",
        (NODE1, _a("node2", ArgKind.NODE, -1)),  # FUN_OBJ_2 (JOS :2356, V5 :1572): -1 is always sent
        R.NONE,
        BOTH,
        mutates=True,
        doc="node2=-1 removes every bridge on node1",
    ),
    F("fast_connect", (NODE1, NODE2, _same("duplicates", ArgKind.INT, -1, -1, 8)), R.NONE, JOS, mutates=True),
    F("fast_disconnect", (NODE1, _a("node2", ArgKind.NODE, -1)), R.NONE, JOS, mutates=True),  # FUN_OBJ_2 (:2375)
    F("nodes_clear", (), R.NONE, BOTH, mutates=True),
    F("is_connected", (NODE1, NODE2), R.CONNECTION_STATE, BOTH),
    F("nodes_save", (_same("slot", ArgKind.INT, -1, -1, 7),), R.INT, BOTH, mutates=True),  # omitted = -1 (:2394)
    F("nodes_discard", (), R.NONE, BOTH, mutates=True),
    F("nodes_has_changes", (), R.BOOL, BOTH),
    F("switch_slot", (_a("slot", ArgKind.SLOT),), R.INT, BOTH, mutates=True),
    F("CURRENT_SLOT", (), R.INT, BOTH),
    F("node", (_a("name", ArgKind.NODE),), R.NODE, BOTH),
    F(
        "send_raw",
        (
            _a("chip", ArgKind.INT, lo=0, hi=11),
            _a("x", ArgKind.INT, lo=0, hi=15),
            _a("y", ArgKind.INT, lo=0, hi=15),
            _same("set", ArgKind.INT, 1, 0, 1),  # omitted = 1 (JOS :2454)
        ),
        R.NONE,
        BOTH,
        mutates=True,
    ),
    F("context_toggle", (), R.NONE, JOS, mutates=True),
    F("context_get", (), R.STR, JOS),
    F("get_state", (), R.JSON, JOS),
    F(
        "set_state",
        (
            _a("json", ArgKind.JSON),
            _same("clear_first", ArgKind.BOOL, True),  # omitted = 1 (JOS :5899)
            _same("from_wokwi", ArgKind.BOOL, False),  # omitted = 0 (JOS :5900)
        ),
        R.INT,
        JOS,
        mutates=True,
    ),
    F("undo", (), R.BOOL, JOS, mutates=True),
    F("redo", (), R.BOOL, JOS, mutates=True),
    F("history_position", (), R.INT, JOS),
    F("history_size", (), R.INT, JOS),
    F("history_label", (_same("offset", ArgKind.INT, 0),), R.STR, JOS),  # omitted = 0 (JOS :2428)
    F("history_jump", (_a("position", ArgKind.INT, lo=0),), R.BOOL, JOS, mutates=True),
    F("history_snapshot", (), R.BOOL, JOS, mutates=True),
    F("history_snapshot_count", (), R.INT, JOS),
    # --- DAC, ADC, INA (§4.3)
    F(
        "dac_set",
        (_a("channel", ArgKind.DAC_CHANNEL), VOLTS, _same("save", ArgKind.BOOL, True)),  # omitted = 1 (JOS :1824)
        R.NONE,
        BOTH,
        ("set_dac",),
        mutates=True,
        doc="channels: 0 DAC0, 1 DAC1, 2 top rail, 3 bottom rail",
    ),
    F(
        "dac_get",
        (_a("channel", ArgKind.DAC_CHANNEL),),
        R.FLOAT,
        BOTH,
        ("get_dac",),
        doc="the setpoint, not a measurement",
    ),
    F("adc_get", (_a("channel", ArgKind.ADC_CHANNEL),), R.FLOAT, BOTH, ("get_adc",)),
    F("ina_get_current", (SENSOR,), R.FLOAT, BOTH, ("get_ina_current", "get_current"), doc="amps"),
    F(
        "ina_get_voltage",
        (SENSOR,),
        R.FLOAT,
        BOTH,
        ("get_ina_voltage", "get_voltage"),
        doc="volts; 5.3.x returns the bus voltage here too",
    ),
    F("ina_get_bus_voltage", (SENSOR,), R.FLOAT, BOTH, ("get_ina_bus_voltage", "get_bus_voltage"), doc="volts"),
    F("ina_get_power", (SENSOR,), R.FLOAT, BOTH, ("get_ina_power", "get_power"), doc="watts"),
    # The background net scan (upstream mjc 796c56c :3003-3050): None while the scan has no fresh data.
    F(
        "get_node_voltage",
        (_a("node", ArgKind.NODE),),
        R.OPTIONAL_FLOAT,
        JOS,
        ("node_voltage",),
        optional=True,
        since=SCAN_SINCE,
        doc="volts from the background scan; None when there is no scan data",
    ),
    F(
        "get_net_current",
        (NET,),
        R.OPTIONAL_DICT,
        JOS,
        ("net_current",),
        optional=True,
        since=SCAN_SINCE,
        doc="{current_mA, voltage, from_node, to_node} of the net's dominant path (conventional current flows "
        "from_node -> to_node; node ids), or None without scan data",
    ),
    F(
        "get_path_current",
        (_a("index", ArgKind.INT, lo=0),),
        R.OPTIONAL_FLOAT,
        JOS,
        ("path_current",),
        optional=True,
        since=SCAN_SINCE,
        doc="signed milliamps through path `index` (get_path_info's index), positive from its node1 to node2; "
        "None without scan data",
    ),
    # --- USB audio (upstream 5.7.2 and later)
    *_usb_audio(),
    # --- GPIO and PWM (§4.4)
    F("gpio_set", (PIN, _a("value", ArgKind.BOOL)), R.NONE, BOTH, ("set_gpio",), mutates=True),
    F("gpio_get", (PIN,), R.GPIO_STATE, BOTH, ("get_gpio",)),
    F(
        "gpio_set_dir",
        (PIN, _a("output", ArgKind.BOOL)),
        R.NONE,
        BOTH,
        ("set_gpio_dir",),
        mutates=True,
        doc="True = OUTPUT, False = INPUT (beware: the int 0 also means OUTPUT)",
    ),
    F("gpio_get_dir", (PIN,), R.GPIO_DIRECTION, BOTH, ("get_gpio_dir",)),
    F(
        "gpio_set_pull",
        (PIN, _a("pull", ArgKind.INT, lo=-1, hi=2)),
        R.NONE,
        BOTH,
        ("set_gpio_pull",),
        mutates=True,
        doc="-1 down, 0 none, 1 up, 2 bus keeper (5.3.x reads bus keeper back as NONE)",
    ),
    F("gpio_get_pull", (PIN,), R.GPIO_PULL, BOTH, ("get_gpio_pull",)),
    F("gpio_set_read_floating", (PIN, _a("enabled", ArgKind.BOOL)), R.NONE, JOS, mutates=True),
    F("gpio_get_read_floating", (PIN,), R.BOOL, JOS),
    F("gpio_claim_pin", (PIN,), R.NONE, JOS, mutates=True),
    F("gpio_release_pin", (PIN,), R.NONE, JOS, mutates=True),
    F("gpio_release_all_pins", (), R.NONE, JOS, mutates=True),
    F(
        "pwm",
        (
            PWM_PIN,
            _same("frequency", ArgKind.FLOAT, 1.0, 0.001, 62_500_000.0),  # omitted = 1.0 (JOS :2225, V5 :1441)
            _same("duty", ArgKind.FLOAT, 0.5, 0.0, 1.0),  # omitted = 0.5 (JOS :2226)
        ),
        R.NONE,
        BOTH,
        ("set_pwm",),
        mutates=True,
    ),
    F(
        "pwm_set_duty_cycle",
        (PWM_PIN, _a("duty", ArgKind.FLOAT, lo=0.0, hi=1.0)),
        R.NONE,
        BOTH,
        ("set_pwm_duty_cycle",),
        mutates=True,
    ),
    F(
        "pwm_set_frequency",
        (PWM_PIN, _a("frequency", ArgKind.FLOAT, lo=0.001, hi=62_500_000.0)),
        R.NONE,
        BOTH,
        ("set_pwm_frequency",),
        mutates=True,
    ),
    F("pwm_stop", (PWM_PIN,), R.NONE, BOTH, ("stop_pwm",), mutates=True),
    # --- waveform generator (§4.5)
    *_wavegen(),
    # --- OLED (§4.6)
    F(
        "oled_print",
        (_a("text", ArgKind.STR), _same("size", ArgKind.INT, 2, 0, 3)),  # omitted = 2 (V5 :1729)
        R.NONE,
        LEGACY,
        mutates=True,
        doc="clears the screen and prints",
    ),
    F(
        "oled_print",
        # JOS mjc :3134: print-style (values..., sep=, end=, size=); `oled_print(text, size)` with an int size is
        # read as the size (:3170). Omitted, size is the board's current default (oled_set_text_size), not 2,
        # so the host always sends it.
        (_a("text", ArgKind.STR), _a("size", ArgKind.INT, 2, 0, 3)),
        R.NONE,
        JOS,
        mutates=True,
        doc="clears the screen and prints; size 0 is small scrolling text",
    ),
    F("oled_clear", (), R.NONE, LEGACY, mutates=True),  # FUN_OBJ_0 (V5 :1740)
    F("oled_clear", (_same("show", ArgKind.BOOL, True),), R.NONE, JOS, mutates=True),  # omitted = 1 (JOS :3201)
    F("oled_show", (), R.NONE, BOTH, mutates=True),
    F("oled_connect", (), R.NONE, BOTH, mutates=True),
    F("oled_disconnect", (), R.NONE, BOTH, mutates=True),
    F("oled_set_text_size", (_a("size", ArgKind.INT, lo=0, hi=2),), R.BOOL, JOS, mutates=True),
    F("oled_get_text_size", (), R.INT, JOS),
    F("oled_get_framebuffer", (), R.BYTES, JOS),
    F("oled_get_framebuffer_size", (), R.LITERAL, JOS),
    F(
        "oled_set_pixel",
        # VAR_BETWEEN(3, 3) (JOS :3377): `on` is always sent
        (_a("x", ArgKind.INT, lo=0, hi=127), _a("y", ArgKind.INT, lo=0, hi=31), _a("on", ArgKind.INT, 1, 0, 1)),
        R.BOOL,
        JOS,
        mutates=True,
    ),
    F("oled_get_pixel", (_a("x", ArgKind.INT, lo=0, hi=127), _a("y", ArgKind.INT, lo=0, hi=31)), R.INT, JOS),
    *_oled_fonts_and_bitmaps(),
    *_oled_screens(),
    # --- probe, switch, clickwheel (§4.7)
    *_probe(),
    F("probe_tap", (_a("node", ArgKind.NODE),), R.NONE, BOTH, mutates=True),
    F("clickwheel_up", (_same("clicks", ArgKind.INT, 1, 1, 100),), R.NONE, BOTH, mutates=True),  # omitted = 1
    F("clickwheel_down", (_same("clicks", ArgKind.INT, 1, 1, 100),), R.NONE, BOTH, mutates=True),  # (JOS :3864)
    F("clickwheel_press", (), R.NONE, BOTH, mutates=True),
    F("get_switch_position", (), R.INT, JOS),
    F("set_switch_position", (_a("position", ArgKind.INT, lo=-1, hi=1),), R.NONE, JOS, mutates=True),
    F("check_switch_position", (), R.INT, JOS),
    F("probe_autoconnect", (_a("enabled", ArgKind.BOOL),), R.BOOL, JOS, mutates=True),
    F("clickwheel_get_position", (), R.INT, JOS),
    F("clickwheel_reset_position", (), R.NONE, JOS, mutates=True),
    F("clickwheel_get_direction", (_same("consume", ArgKind.BOOL, True),), R.INT, JOS),  # omitted = 1 (:3949)
    F("clickwheel_get_button", (), R.INT, JOS),
    F("clickwheel_is_initialized", (), R.BOOL, JOS),
    # --- nets, paths, colours, overlays (§4.8)
    F("get_net_name", (NET,), R.LITERAL, JOS, ("net_name",), doc="str, or None out of range"),
    F("set_net_name", (NET, _a("name", ArgKind.STR)), R.NONE, JOS, mutates=True),
    F("get_net_color", (NET,), R.INT, JOS),
    F("get_net_color_name", (NET,), R.STR, JOS),
    F(
        "set_net_color",
        (NET, _a("color", ArgKind.STR)),
        R.BOOL,
        JOS,
        mutates=True,
        doc="a colour name or #RRGGBB; False when the firmware cannot parse it (JumperlessMicroPythonAPI.cpp "
        "jl_set_net_color)",
    ),
    F(
        "set_net_color_hsv",
        # JOS mjc :2594 and JumperlessMicroPythonAPI.cpp jl_set_net_color_hsv: with hue 0-1, s and v are 0-1 and
        # scaled by 255 (truncated). Omitted, s is 255 (= 1.0) but v is 32 (about 0.125), so v is always sent.
        (
            NET,
            _a("hue", ArgKind.FLOAT, lo=0.0, hi=1.0),
            _same("saturation", ArgKind.FLOAT, 1.0, 0.0, 1.0),
            _a("value", ArgKind.FLOAT, 1.0, 0.0, 1.0),
        ),
        R.BOOL,
        JOS,
        mutates=True,
        doc="hue, saturation and value (brightness) 0-1; the firmware keeps 8 bits of each (x 255, truncated)",
    ),
    F("get_num_nets", (), R.INT, JOS),
    F("get_num_bridges", (), R.INT, JOS),
    F("get_net_nodes", (NET,), R.STR, JOS),
    F("get_bridge", (_a("index", ArgKind.INT, lo=0),), R.LITERAL, JOS),
    F("get_net_info", (NET,), R.LITERAL, JOS, ("net_info",)),
    F("get_all_nets", (), R.LITERAL, JOS),
    F("get_num_paths", (_same("include_duplicates", ArgKind.BOOL, True),), R.INT, JOS),  # omitted = 1 (:2755)
    F("get_path_info", (_a("index", ArgKind.INT, lo=0),), R.LITERAL, JOS),
    F("get_all_paths", (), R.LITERAL, JOS),
    F("get_path_between", (NODE1, NODE2), R.LITERAL, JOS),
    F(
        "overlay_set",
        (
            _a("name", ArgKind.STR),
            _a("x", ArgKind.INT, lo=1, hi=30),
            _a("y", ArgKind.INT, lo=1, hi=10),
            _a("height", ArgKind.INT, lo=1, hi=10),
            _a("width", ArgKind.INT, lo=1, hi=30),
            # mp_obj_get_array (JOS :5926): a list of 0xRRGGBB ints or of rows of them, height*width in all
            Arg("colors", ArgKind.COLORS, minimum=0, maximum=0xFFFFFF, count_of=("height", "width")),
        ),
        R.INT,
        JOS,
        mutates=True,
        doc="returns the overlay index, or -1 if refused",
    ),
    F("overlay_clear", (_a("name", ArgKind.STR),), R.INT, JOS, mutates=True),
    F("overlay_clear_all", (), R.NONE, JOS, mutates=True),
    F(
        "overlay_set_pixel",
        (
            _a("x", ArgKind.INT, lo=1, hi=30),
            _a("y", ArgKind.INT, lo=1, hi=10),
            _a("color", ArgKind.INT, lo=0, hi=0xFFFFFF),
        ),
        R.NONE,
        JOS,
        mutates=True,
    ),
    F("overlay_count", (), R.INT, JOS),
    F(
        "overlay_shift",
        (_a("name", ArgKind.STR), _a("dx", ArgKind.INT), _a("dy", ArgKind.INT)),
        R.INT,
        JOS,
        mutates=True,
    ),
    F(
        "overlay_place",
        (_a("name", ArgKind.STR), _a("x", ArgKind.INT, lo=1, hi=30), _a("y", ArgKind.INT, lo=1, hi=10)),
        R.INT,
        JOS,
        mutates=True,
    ),
    F("overlay_serialize", (), R.STR, JOS, doc="a JSON fragment"),
    # --- filesystem (§4.9)
    F("fs_exists", (_a("path", ArgKind.STR),), R.BOOL, BOTH),
    F(
        "fs_listdir",
        (_a("path", ArgKind.STR, "/"),),  # FUN_OBJ_1 (JOS :4642, V5 :2683): the path is always sent
        R.LITERAL,
        BOTH,
        doc="a list of names (folders end in '/'); a missing folder gives [] (5.7.0.13) or OSError ENOENT "
        "(upstream mjc 796c56c)",
    ),
    F("fs_read", (_a("path", ArgKind.STR),), R.LITERAL, BOTH, doc="str (first 4095 bytes), or None"),
    F("fs_write", (_a("path", ArgKind.STR), _a("text", ArgKind.STR)), R.BOOL, BOTH, mutates=True),
    F("fs_cwd", (), R.STR, BOTH),
    # --- projects, parts, the background callback (upstream 5.7.11)
    *_parts_and_projects(),
    # --- system (§4.10)
    F("arduino_reset", (), R.NONE, BOTH, mutates=True),
    F("pause_core2", (_a("pause", ArgKind.BOOL),), R.NONE, BOTH, mutates=True),
    F("run_app", (_a("name", ArgKind.STR),), R.NONE, BOTH, mutates=True, blocking=True),
    F("force_service", (_a("name", ArgKind.STR),), R.BOOL, JOS, mutates=True),
    F("get_service_index", (_a("name", ArgKind.STR),), R.INT, JOS),
    F("print_bridges", (), R.NONE, BOTH),
    F("print_paths", (), R.NONE, BOTH),
    F("print_crossbars", (), R.NONE, BOTH),
    F("print_chip_status", (), R.NONE, BOTH),
    F(
        "print_nets",
        (),
        R.NONE,
        BOTH,
        blocking=True,
        doc="enters live mode and blocks until a byte arrives on the main port: machine clients avoid it",
    ),
    F("la_is_capturing", (), R.BOOL, BOTH, until=LA_UNTIL),
    # returns mp_obj_new_bool (JOS :5811, V5 :3279)
    F("la_stop_capture", (), R.BOOL, BOTH, mutates=True, until=LA_UNTIL),
)


def functions(firmware: Firmware) -> Iterator[Function]:
    """Every catalog entry a family (or one firmware version) has (one entry per function name)."""
    return (f for f in CATALOG if f.available_in(firmware))


def lookup(name: str, firmware: Firmware) -> Function:
    """The entry for a function or alias name in a family or firmware version; KeyError if absent."""
    for entry in _ENTRIES_BY_NAME.get(name, ()):
        if entry.available_in(firmware):
            return entry
    raise KeyError(name)


def _index_by_name() -> dict[str, tuple[Function, ...]]:
    """Every name and alias to its entries, in catalog order: `lookup` runs on every call."""
    index: dict[str, list[Function]] = {}
    for entry in CATALOG:
        for name in entry.names:
            index.setdefault(name, []).append(entry)
    return {name: tuple(entries) for name, entries in index.items()}


_ENTRIES_BY_NAME = _index_by_name()


def names(firmware: Firmware) -> set[str]:
    """Every callable name (functions and aliases) a family's (or a version's) module exports."""
    return {n for f in functions(firmware) for n in f.names}


def by_name() -> dict[str, Sequence[Function]]:
    """Catalog entries grouped by primary name (a name may differ per family)."""
    grouped: dict[str, list[Function]] = {}
    for entry in CATALOG:
        grouped.setdefault(entry.name, []).append(entry)
    return grouped
