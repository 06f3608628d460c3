"""A `jumperless` stub module for real MicroPython, generated from one firmware tree's signature table.

The stub is what lets host-generated code run under MicroPython without a board: every function of the
tree's globals table exists and checks its call exactly as the firmware's C function does (argument count
from the MP_DEFINE macro, keywords only where the firmware declares them, each argument converted as the C
code converts it), then returns a value of a kind the table lists for it, printed as the firmware prints it.
Nothing is taken from our virtual board: only `firmware_api.signatures` (parsed from the firmware source)
and the firmware's print strings (cited below) go in.

`_variant` (set per run) picks which listed return kind, and which representative value, a call gives,
so a function that returns `None` or a `str` is checked both ways.
"""

from __future__ import annotations

from firmware_api.c_module import ConstantSig, FunctionSig
from firmware_api.signatures import Tree
from firmware_api.versions import Family

# What `repr()` of each firmware object prints, per value (modjumperless.c print functions: JumperlOS fork
# gpio_state_print :802, gpio_direction_print :921, gpio_pull_print :1001, connection_state_print :1084,
# probe_button_print :1167; 5.3.2.4 :484-742, where "no pull" prints NONE instead of NO_PULL).
_PRINTED = {
    "GPIOState": {"GPIO_STATE_HIGH": "HIGH", "GPIO_STATE_LOW": "LOW", "GPIO_STATE_FLOATING": "FLOATING"},
    "GPIODirection": {"true": "OUTPUT", "false": "INPUT"},
    "ConnectionState": {"true": "CONNECTED", "false": "DISCONNECTED"},
    "ProbeButton": {1: "CONNECT", 2: "REMOVE", 0: "NONE"},
}
_PULL = {1: "PULLUP", -1: "PULLDOWN", 2: "BUS_KEEPER"}

# Two values per return kind: `_variant` 0 and 1. The str values are JSON too (get_state returns its JSON as
# a str); the second holds quotes and non-ASCII text, which MicroPython's repr escapes (`'\xe9'`).
_PLAIN_VALUES = {
    "none": ("None", "None"),
    "bool": ("True", "False"),
    "int": ("6", "-1"),
    "float": ("1.5", "(1/3)"),
    "str": (repr("{}"), ascii('{"n\u00e9t": "it\'s \u2603 \U0001f600"}')),
    "bytes": (r"b'\x00\xff'", "b''"),
    "tuple": ("(128, 32)", "()"),
    "list": ("['a.txt', 6]", "[]"),
    "dict": ("{'net': 6, 'name': 'n\\xe9t'}", "{}"),
}
NODE_SAMPLES = (83, 12)  # D13 (printed by its first node_mappings name) and row 12
PAD_SAMPLES = (12, -1)  # a row pad, and NO_PAD


def module_name(tree: Tree) -> str:
    """A Python identifier for the tree's stub module (the driver installs it as `jumperless`)."""
    return "jumperless_" + "".join(c if c.isalnum() else "_" for c in tree.name)


def node_name(tree: Tree, value: int) -> str:
    """jl_get_node_name (upstream modjumperless.c :736): rows as numbers, else the first node_mappings name."""
    if 1 <= value <= 60:
        return str(value)
    return next((name for name, node in tree.table.node_names.items() if node == value), "")


def pad_name(tree: Tree, value: int) -> str:
    """jl_get_pad_name (upstream modjumperless.c :717): the first pad_mappings name, else the row number."""
    found = next((name for name, pad in tree.table.pad_names.items() if pad == value), None)
    if found is not None:
        return found
    return str(value) if 1 <= value <= 60 else "UNKNOWN_PAD"


def printed(tree: Tree, type_name: str, value: object) -> str:
    """What the firmware prints for an object of one of its types holding `value`."""
    if type_name == "node" and isinstance(value, int):
        return node_name(tree, value) or str(value)
    if type_name == "ProbePad" and isinstance(value, int):
        return pad_name(tree, value)
    if type_name == "GPIOPull" and isinstance(value, int):
        return _PULL.get(value, "NONE" if tree.family is Family.LEGACY else "NO_PULL")
    return _PRINTED.get(type_name, {}).get(value, str(value))  # type: ignore[call-overload]


def _return_values(tree: Tree, kind: str) -> tuple[str, str]:
    """Source text of the two representative values of one return kind."""
    if kind in _PLAIN_VALUES:
        return _PLAIN_VALUES[kind]
    if kind == "unknown":  # the parser could not tell from the C source: nothing to check the host against
        return _PLAIN_VALUES["none"]
    samples: dict[str, tuple[object, object]] = {
        "node": NODE_SAMPLES,
        "ProbePad": PAD_SAMPLES,
        "GPIOState": ("GPIO_STATE_HIGH", "GPIO_STATE_LOW"),
        "GPIODirection": ("true", "false"),
        "GPIOPull": (1, 0),
        "ConnectionState": ("true", "false"),
        "ProbeButton": (1, 0),
    }
    if kind not in samples:
        raise ValueError(f"{tree.name}: no stub value for return kind {kind!r}")
    first, second = samples[kind]
    return (
        f"_T_{kind}({first!r}, {printed(tree, kind, first)!r})",
        f"_T_{kind}({second!r}, {printed(tree, kind, second)!r})",
    )


def _types(tree: Tree) -> list[str]:
    """Every firmware type name the table mentions (return kinds, constant types, exported types)."""
    names: set[str] = set()
    for sig in tree.table.functions.values():
        names.update(kind for kind in sig.returns if kind not in _PLAIN_VALUES and kind != "unknown")
    for constant in tree.table.constants.values():
        if constant.type_name == "type" and isinstance(constant.value, str):
            names.add(constant.value)
        elif constant.type_name not in ("int", "str", "module", "type", "object"):
            names.add(constant.type_name)
    return sorted(names)


def _constant(tree: Tree, constant: ConstantSig) -> str:
    if constant.type_name == "int":
        return repr(constant.value) if isinstance(constant.value, int) else "0"  # a C enum name: value unknown
    if constant.type_name == "str":
        return repr(constant.value)
    if constant.type_name == "type":
        return f"_T_{constant.value}"
    if constant.type_name in ("module", "object"):
        return "_Opaque()"
    return f"_T_{constant.type_name}({constant.value!r}, {printed(tree, constant.type_name, constant.value)!r})"


def _signature(sig: FunctionSig) -> str:
    return repr((sig.min_args, sig.max_args, sig.keywords, sig.arg_kinds))


def stub_source(tree: Tree) -> str:
    """MicroPython source of the tree's `jumperless` module."""
    lines = [
        f"# The `jumperless` module of firmware tree {tree.name} ({tree.family.name}), checking calls as the",
        "# firmware does. Generated by tests/micropython_stub.py from firmware_api.signatures.",
        _RUNTIME,
    ]
    for type_name in _types(tree):
        # Reached as `_T_<name>`: the module exports only the table's names (`node` is a function there).
        lines.append(
            f"class {type_name}(_FirmwareObject):\n    pass\n\n\n_T_{type_name} = {type_name}\ndel {type_name}\n"
        )
    lines.append(f"_NODE_NAMES = {dict(tree.table.node_names)!r}")
    lines.append("_SIGS = {")
    for name, sig in sorted(tree.table.functions.items()):
        lines.append(f"    {name!r}: {_signature(sig)},")
    lines.append("}")
    lines.append("_RETURNS = {")
    for name, sig in sorted(tree.table.functions.items()):
        values = [_return_values(tree, kind) for kind in sig.returns] or [("None", "None")]
        pairs = ", ".join(f"({first}, {second})" for first, second in values)
        lines.append(f"    {name!r}: lambda: ({pairs},),")
    lines.append("}")
    lines.append("for _name in _SIGS:\n    globals()[_name] = _function(_name)\n")
    for name, constant in sorted(tree.table.constants.items()):  # some (`3V3_PAD`) are not identifiers
        lines.append(f"globals()[{name!r}] = {_constant(tree, constant)}")
    return "\n".join(lines) + "\n"


# The module's fixed part (MicroPython source). Messages are MicroPython's own for C functions
# (py/argcheck.c mp_arg_check_num_sig) and the firmware's (get_node_value, modjumperless.c fork :1768).
_RUNTIME = """
_variant = 0


class _FirmwareObject:
    def __init__(self, value, text):
        self._value = value
        self._text = text

    def __repr__(self):
        return self._text

    def __str__(self):
        return self._text


class _Opaque:
    pass


def _type_name(value):
    return type(value).__name__


def _check_count(count, low, high):
    if low == high and count != low:
        raise TypeError("function takes %d positional arguments but %d were given" % (low, count))
    if count < low:
        raise TypeError("function missing %d required positional arguments" % (low - count))
    if high is not None and count > high:
        raise TypeError("function expected at most %d arguments, got %d" % (high, count))


def _check_keywords(kwargs, keywords):
    if kwargs and not keywords:
        raise TypeError("function doesn't take keyword arguments")
    for key in kwargs:
        if key not in keywords:
            raise TypeError("unexpected keyword argument '%s'" % key)


def _node(value):
    if isinstance(value, globals().get("_T_node", ())):
        return
    if type(value) is int:
        return
    if type(value) is str:
        upper = value.upper()
        if len(value) < 32 and upper.isdigit() and 1 <= int(upper) <= 200:
            return
        if len(value) < 32 and upper in _NODE_NAMES:
            return
        raise ValueError("Unknown node name")
    raise TypeError("Expected node, int, or string")


def _convert(kind, value):
    if kind == "int":  # mp_obj_get_int: ints, bools, and the firmware's types (their INT_MAYBE unary op)
        if type(value) not in (int, bool) and not isinstance(value, _FirmwareObject):
            raise TypeError("can't convert %s to int" % _type_name(value))
    elif kind == "float":
        if type(value) not in (int, bool, float) and not isinstance(value, _FirmwareObject):
            raise TypeError("can't convert %s to float" % _type_name(value))
    elif kind == "str":
        if type(value) not in (str, bytes):
            raise TypeError("can't convert '%s' object to str implicitly" % _type_name(value))
    elif kind == "sequence":
        if type(value) not in (list, tuple):
            raise TypeError("object '%s' isn't a tuple or list" % _type_name(value))
    elif kind == "node":
        _node(value)


def _function(name):
    low, high, keywords, kinds = _SIGS[name]

    def call(*args, **kwargs):
        _check_keywords(kwargs, keywords)
        _check_count(len(args), low, high)
        for kind, value in zip(kinds, args):
            _convert(kind, value)
        choices = _RETURNS[name]()
        return choices[_variant % len(choices)][_variant % 2]

    return call

"""
