"""The `jumperless` MicroPython module, one declaration per function (protocol §4).

Each entry says what the firmware accepts (argument kinds, ranges, defaults),
what it returns (and so how its printed repr is parsed back), which firmware
family has it, and whether it changes the board or may block. The host builds
calls from these entries; the virtual board checks its module against them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from firmware_api.versions import Family

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
    BYTES = "bytes"


REQUIRED = object()


@dataclass(frozen=True)
class Arg:
    name: str
    kind: ArgKind
    default: object = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Arg, ...]
    returns: Returns
    families: Family
    aliases: tuple[str, ...] = ()
    mutates: bool = False
    blocking: bool = False  # may wait on the user (probe, buttons)
    optional: bool = False  # only in some builds of the family: check before relying on it
    doc: str = ""
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", (self.name, *self.aliases))

    def available_in(self, family: Family) -> bool:
        return bool(self.families & family)


def _a(name: str, kind: ArgKind, default: object = REQUIRED, lo: float | None = None, hi: float | None = None) -> Arg:
    return Arg(name, kind, default, lo, hi)


NODE1, NODE2 = _a("node1", ArgKind.NODE), _a("node2", ArgKind.NODE)
PIN = _a("pin", ArgKind.GPIO_PIN)
PWM_PIN = _a("pin", ArgKind.PWM_PIN)
SENSOR = _a("sensor", ArgKind.INA_SENSOR)
VOLTS = _a("voltage", ArgKind.FLOAT, lo=-8.0, hi=8.0)
NET = _a("net", ArgKind.INT, lo=0, hi=127)
F, R = Function, Returns


def _wavegen() -> list[Function]:
    """Setters and getters each with set_wavegen_* / get_wavegen_* aliases (§4.5)."""
    setters = [
        ("output", _a("channel", ArgKind.DAC_CHANNEL), R.INT),
        ("freq", _a("hz", ArgKind.FLOAT, lo=0.0001, hi=10000.0), R.FLOAT),
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
                _a("start_hz", ArgKind.FLOAT, lo=0.0001),
                _a("end_hz", ArgKind.FLOAT, lo=0.0001),
                _a("seconds", ArgKind.FLOAT, lo=0.0),
            ),
            R.NONE,
            BOTH,
            ("set_wavegen_sweep",),
            mutates=True,
        ),
        F("wavegen_start", (_a("run", ArgKind.BOOL, True),), R.NONE, BOTH, ("start_wavegen",), mutates=True),
        F("wavegen_stop", (), R.NONE, BOTH, ("stop_wavegen",), mutates=True),
        F("wavegen_is_running", (), R.BOOL, BOTH),
    ]
    return out


_PROBE_READ_ALIASES = (
    "read_probe",
    "probe_read_blocking",
    "probe_read_nonblocking",
    "probe_wait",
    "wait_probe",
    "probe_touch",
    "wait_touch",
)
_PROBE_BUTTON_ALIASES = (
    "get_button",
    "button_read",
    "read_button",
    "probe_button_blocking",
    "probe_button_nonblocking",
    "check_button",
    "button_check",
)

CATALOG: tuple[Function, ...] = (
    # --- nodes and connections (§4.2)
    F(
        "connect",
        (NODE1, NODE2, _a("save", ArgKind.BOOL, False)),
        R.NONE,
        LEGACY,
        mutates=True,
        doc="save=False only changes RAM; is_connected reads the saved file on 5.3.x",
    ),
    F(
        "connect",
        (NODE1, NODE2, _a("duplicates", ArgKind.INT, -1, -1, 8)),
        R.NONE,
        JOS,
        mutates=True,
        doc="forbidden or invalid pairs are ignored silently: read back with is_connected",
    ),
    F(
        "disconnect",
        (NODE1, _a("node2", ArgKind.NODE, -1)),
        R.NONE,
        BOTH,
        mutates=True,
        doc="node2=-1 removes every bridge on node1",
    ),
    F("fast_connect", (NODE1, NODE2, _a("duplicates", ArgKind.INT, -1, -1, 8)), R.NONE, JOS, mutates=True),
    F("fast_disconnect", (NODE1, _a("node2", ArgKind.NODE, -1)), R.NONE, JOS, mutates=True),
    F("nodes_clear", (), R.NONE, BOTH, mutates=True),
    F("is_connected", (NODE1, NODE2), R.CONNECTION_STATE, BOTH),
    F("nodes_save", (_a("slot", ArgKind.INT, -1, -1, 7),), R.INT, BOTH, mutates=True),
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
            _a("set", ArgKind.INT, 1, 0, 1),
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
        (_a("json", ArgKind.JSON), _a("clear_first", ArgKind.BOOL, True), _a("from_wokwi", ArgKind.BOOL, False)),
        R.INT,
        JOS,
        mutates=True,
    ),
    F("undo", (), R.BOOL, JOS, mutates=True),
    F("redo", (), R.BOOL, JOS, mutates=True),
    F("history_position", (), R.INT, JOS),
    F("history_size", (), R.INT, JOS),
    F("history_label", (_a("offset", ArgKind.INT, 0),), R.STR, JOS),
    F("history_jump", (_a("position", ArgKind.INT, lo=0),), R.BOOL, JOS, mutates=True),
    F("history_snapshot", (), R.BOOL, JOS, mutates=True),
    F("history_snapshot_count", (), R.INT, JOS),
    # --- DAC, ADC, INA (§4.3)
    F(
        "dac_set",
        (_a("channel", ArgKind.DAC_CHANNEL), VOLTS, _a("save", ArgKind.BOOL, True)),
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
    F(
        "get_node_voltage",
        (_a("node", ArgKind.NODE),),
        R.OPTIONAL_FLOAT,
        JOS,
        ("node_voltage",),
        optional=True,
        doc="None when there is no scan data",
    ),
    F("get_net_current", (NET,), R.OPTIONAL_FLOAT, JOS, ("net_current",), optional=True),
    F("get_path_current", (_a("index", ArgKind.INT, lo=0),), R.OPTIONAL_FLOAT, JOS, ("path_current",), optional=True),
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
        doc="-1 down, 0 none, 1 up, 2 bus keeper",
    ),
    F("gpio_get_pull", (PIN,), R.GPIO_PULL, BOTH, ("get_gpio_pull",)),
    F("gpio_set_read_floating", (PIN, _a("enabled", ArgKind.BOOL)), R.NONE, JOS, mutates=True),
    F("gpio_get_read_floating", (PIN,), R.BOOL, JOS),
    F("gpio_claim_pin", (PIN,), R.NONE, JOS, mutates=True),
    F("gpio_release_pin", (PIN,), R.NONE, JOS, mutates=True),
    F("gpio_release_all_pins", (), R.NONE, JOS, mutates=True),
    F(
        "pwm",
        (PWM_PIN, _a("frequency", ArgKind.FLOAT, 1.0, 0.001, 62_500_000.0), _a("duty", ArgKind.FLOAT, 0.5, 0.0, 1.0)),
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
        (_a("text", ArgKind.STR), _a("size", ArgKind.INT, 2, 0, 3)),
        R.NONE,
        BOTH,
        mutates=True,
        doc="clears the screen and prints; size 0 is small scrolling text",
    ),
    F("oled_clear", (_a("show", ArgKind.BOOL, True),), R.NONE, BOTH, mutates=True),
    F("oled_show", (), R.NONE, BOTH, mutates=True),
    F("oled_connect", (), R.NONE, BOTH, mutates=True),
    F("oled_disconnect", (), R.NONE, BOTH, mutates=True),
    F("oled_set_text_size", (_a("size", ArgKind.INT, lo=0, hi=2),), R.BOOL, JOS, mutates=True),
    F("oled_get_text_size", (), R.INT, JOS),
    F("oled_get_framebuffer", (), R.BYTES, JOS),
    F("oled_get_framebuffer_size", (), R.LITERAL, JOS),
    F(
        "oled_set_pixel",
        (_a("x", ArgKind.INT, lo=0, hi=127), _a("y", ArgKind.INT, lo=0, hi=31), _a("on", ArgKind.INT, 1, 0, 1)),
        R.BOOL,
        JOS,
        mutates=True,
    ),
    F("oled_get_pixel", (_a("x", ArgKind.INT, lo=0, hi=127), _a("y", ArgKind.INT, lo=0, hi=31)), R.INT, JOS),
    # --- probe, switch, clickwheel (§4.7)
    F("probe_read", (_a("blocking", ArgKind.BOOL, True),), R.PROBE_PAD, BOTH, _PROBE_READ_ALIASES, blocking=True),
    F(
        "probe_button",
        (_a("blocking", ArgKind.BOOL, True),),
        R.PROBE_BUTTON,
        LEGACY,
        _PROBE_BUTTON_ALIASES,
        blocking=True,
    ),
    F(
        "probe_button",
        (_a("blocking", ArgKind.BOOL, True), _a("consume", ArgKind.BOOL, False)),
        R.PROBE_BUTTON,
        JOS,
        _PROBE_BUTTON_ALIASES,
        blocking=True,
    ),
    F("probe_tap", (_a("node", ArgKind.NODE),), R.NONE, BOTH, mutates=True),
    F("clickwheel_up", (_a("clicks", ArgKind.INT, 1, 1, 100),), R.NONE, BOTH, mutates=True),
    F("clickwheel_down", (_a("clicks", ArgKind.INT, 1, 1, 100),), R.NONE, BOTH, mutates=True),
    F("clickwheel_press", (), R.NONE, BOTH, mutates=True),
    F("get_switch_position", (), R.INT, JOS),
    F("set_switch_position", (_a("position", ArgKind.INT, lo=-1, hi=1),), R.NONE, JOS, mutates=True),
    F("check_switch_position", (), R.INT, JOS),
    F("probe_autoconnect", (_a("enabled", ArgKind.BOOL),), R.BOOL, JOS, mutates=True),
    F("clickwheel_get_position", (), R.INT, JOS),
    F("clickwheel_reset_position", (), R.NONE, JOS, mutates=True),
    F("clickwheel_get_direction", (_a("consume", ArgKind.BOOL, True),), R.INT, JOS),
    F("clickwheel_get_button", (), R.INT, JOS),
    F("clickwheel_is_initialized", (), R.BOOL, JOS),
    # --- nets, paths, colours, overlays (§4.8)
    F("get_net_name", (NET,), R.LITERAL, JOS, ("net_name",), doc="str, or None out of range"),
    F("set_net_name", (NET, _a("name", ArgKind.STR)), R.NONE, JOS, mutates=True),
    F("get_net_color", (NET,), R.INT, JOS),
    F("get_net_color_name", (NET,), R.STR, JOS),
    F("set_net_color", (NET, _a("color", ArgKind.STR)), R.BOOL, JOS, mutates=True, doc="a colour name or #RRGGBB"),
    F(
        "set_net_color_hsv",
        (
            NET,
            _a("hue", ArgKind.FLOAT, lo=0.0, hi=1.0),
            _a("saturation", ArgKind.FLOAT, 1.0, 0.0, 1.0),
            _a("value", ArgKind.FLOAT, 1.0, 0.0, 1.0),
        ),
        R.BOOL,
        JOS,
        mutates=True,
    ),
    F("get_num_nets", (), R.INT, JOS),
    F("get_num_bridges", (), R.INT, JOS),
    F("get_net_nodes", (NET,), R.STR, JOS),
    F("get_bridge", (_a("index", ArgKind.INT, lo=0),), R.LITERAL, JOS),
    F("get_net_info", (NET,), R.LITERAL, JOS, ("net_info",)),
    F("get_all_nets", (), R.LITERAL, JOS),
    F("get_num_paths", (_a("include_duplicates", ArgKind.BOOL, True),), R.INT, JOS),
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
            _a("colors", ArgKind.JSON),
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
    F("fs_listdir", (_a("path", ArgKind.STR, "/"),), R.LITERAL, BOTH),
    F("fs_read", (_a("path", ArgKind.STR),), R.LITERAL, BOTH, doc="str (first 4095 bytes), or None"),
    F("fs_write", (_a("path", ArgKind.STR), _a("text", ArgKind.STR)), R.BOOL, BOTH, mutates=True),
    F("fs_cwd", (), R.STR, BOTH),
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
    F("la_is_capturing", (), R.BOOL, BOTH),
    F("la_stop_capture", (), R.NONE, BOTH, mutates=True),
)


def functions(family: Family) -> Iterator[Function]:
    """Every catalog entry the family has (one entry per function name)."""
    return (f for f in CATALOG if f.available_in(family))


def lookup(name: str, family: Family) -> Function:
    """The entry for a function or alias name in a family; KeyError if absent."""
    for entry in CATALOG:
        if entry.available_in(family) and name in entry.names:
            return entry
    raise KeyError(name)


def names(family: Family) -> set[str]:
    """Every callable name (functions and aliases) a family's module exports."""
    return {n for f in functions(family) for n in f.names}


def by_name() -> dict[str, Sequence[Function]]:
    """Catalog entries grouped by primary name (a name may differ per family)."""
    grouped: dict[str, list[Function]] = {}
    for entry in CATALOG:
        grouped.setdefault(entry.name, []).append(entry)
    return grouped
