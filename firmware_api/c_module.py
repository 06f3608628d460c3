"""Read the firmware's C `jumperless` module (modjumperless.c) into signatures, mechanically.

The firmware's source, not our virtual board, is the oracle for what a call may
look like. This parser takes the text of one `modjumperless.c` and finds:

- every name in `jumperless_module_globals_table`, as a function or a constant;
- for functions, the positional argument count the firmware accepts (from the
  `MP_DEFINE_CONST_FUN_OBJ_0..3 / _VAR / _VAR_BETWEEN / _KW` macro), whether
  keywords are accepted (only `_KW`), how each positional argument is converted
  (`mp_obj_get_int` -> "int", `get_node_value` -> "node", ...), and the kinds
  its `return` statements produce (None, bool, int, ..., or a firmware type name);
- for constants, their type (a firmware type name such as `GPIOState`, or `int`)
  and value;
- the firmware's own node and pad name tables (`node_mappings`, `pad_mappings`).

It is a reader for this one file's conventions, not a C compiler: anything it
cannot classify comes out as "unknown"/"object", never as a guess. Pure text in,
data out; `tools/firmware_table.py` runs it over `../shared` and writes
`firmware_api/firmware_table.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UNBOUNDED = None  # max_args of `_VAR` functions and print-style `_KW` functions


@dataclass(frozen=True)
class FunctionSig:
    """What the firmware accepts and returns for one name of the globals table."""

    c_function: str
    min_args: int
    max_args: int | None
    keywords: tuple[str, ...] = ()  # names `_KW` functions accept as keywords; empty: keywords rejected
    arg_kinds: tuple[str, ...] = ()  # conversion of each positional argument, as far as the source shows
    returns: tuple[str, ...] = ()  # sorted return kinds
    line: int = 0  # of the MP_DEFINE macro

    @property
    def accepts_keywords(self) -> bool:
        return bool(self.keywords)

    def accepts(self, count: int) -> bool:
        """Whether `count` positional arguments pass the firmware's argument check."""
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


@dataclass(frozen=True)
class ConstantSig:
    """A non-function name of the globals table: its type and (for ints and simple objects) value."""

    type_name: str  # "int", "str", "module", or the firmware's type name ("GPIOState", "node", "ProbePad", ...)
    value: int | str | None = None
    line: int = 0


@dataclass(frozen=True)
class ModuleTable:
    """Everything the parser read from one modjumperless.c."""

    functions: dict[str, FunctionSig] = field(default_factory=dict)
    constants: dict[str, ConstantSig] = field(default_factory=dict)
    node_names: dict[str, int] = field(default_factory=dict)  # node_mappings: name -> node id
    pad_names: dict[str, int] = field(default_factory=dict)  # pad_mappings: name -> pad id


# --- source preparation ---------------------------------------------------------------------------------------
_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.S)


def _strip_comments(text: str) -> str:
    """Comments become spaces (newlines kept, so line numbers hold); string literals stay."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", token)
        return token

    return _STRING_OR_COMMENT.sub(replace, text)


def _mask_strings(code: str) -> str:
    """String and char literal contents become `_` so braces inside them cannot confuse matching."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", token)
        return token[0] + "_" * (len(token) - 2) + token[-1]

    return _STRING_OR_COMMENT.sub(replace, code)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _block(masked: str, open_brace: int) -> int:
    """Offset just past the brace that closes the one at `open_brace`."""
    depth = 0
    for index in range(open_brace, len(masked)):
        char = masked[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    raise ValueError(f"unbalanced braces from offset {open_brace}")


# --- C functions ------------------------------------------------------------------------------------------------
_FUNCTION_HEAD = re.compile(
    r"^[ \t]*(?:static\s+)?(?:inline\s+)?(?:mp_obj_t|int|float|bool)\s+(\w+)\s*\(([^)]*)\)\s*\{", re.M
)


@dataclass(frozen=True)
class _CFunction:
    params: tuple[str, ...]
    body: str  # comments stripped, strings intact


def _c_functions(code: str, masked: str) -> dict[str, _CFunction]:
    found: dict[str, _CFunction] = {}
    for match in _FUNCTION_HEAD.finditer(masked):
        end = _block(masked, match.end() - 1)
        params = tuple(
            re.findall(r"(\w+)\s*(?:\[\s*\])?$", p.strip())[0] if re.search(r"\w", p) else ""
            for p in match.group(2).split(",")
        )
        found.setdefault(
            match.group(1), _CFunction(tuple(p for p in params if p and p != "void"), code[match.end() : end])
        )
    return found


# --- MP_DEFINE macros ---------------------------------------------------------------------------------------------
_DEFINE = re.compile(r"MP_DEFINE_CONST_FUN_OBJ_(0|1|2|3|VAR_BETWEEN|VAR|KW)\s*\(([^;]*?)\)\s*;")


@dataclass(frozen=True)
class _Define:
    c_function: str
    min_args: int
    max_args: int | None
    variant: str
    line: int


def _defines(code: str) -> dict[str, _Define]:
    found: dict[str, _Define] = {}
    for match in _DEFINE.finditer(code):
        variant = match.group(1)
        parts = [p.strip() for p in match.group(2).split(",")]
        obj, c_function = parts[0], parts[-1]
        if variant in "0123":
            low = high = int(variant)
        elif variant == "VAR_BETWEEN":
            low, high = int(parts[1]), int(parts[2])
        else:  # VAR and KW: a minimum, no maximum from the macro
            low, high = int(parts[1]), UNBOUNDED
        found[obj] = _Define(c_function, low, high, variant, _line_of(code, match.start()))
    return found


# --- argument conversions ---------------------------------------------------------------------------------------
_CONVERTERS = {
    "mp_obj_get_int": "int",
    "mp_obj_get_int_truncated": "int",
    "mp_obj_get_float": "float",
    "mp_obj_get_float_to_f": "float",
    "mp_obj_str_get_str": "str",
    "mp_obj_str_get_data": "str",
    "mp_obj_is_true": "truthy",
    "mp_obj_get_array": "sequence",
    "get_node_value": "node",
    "MP_OBJ_SMALL_INT_VALUE": "int",
}


def _argument_kind(name_pattern: str, body: str, functions: dict[str, _CFunction], depth: int = 0) -> str:
    """How the first call that takes this argument converts it (helpers and local aliases are followed)."""
    whole = re.compile(r"^\s*" + name_pattern + r"\s*$")
    use = re.compile(r"(\w+)\s*\(|\b(\w+)\s*=\s*" + name_pattern + r"\s*;")
    for match in use.finditer(body):
        if match.group(2):  # `mp_obj_t colors_obj = args[5];`: follow the alias from here on
            if depth >= 3:
                return "object"
            return _argument_kind(re.escape(match.group(2)), body[match.end() :], functions, depth + 1)
        arguments = _call_arguments(body, match.end())
        position = next((i for i, argument in enumerate(arguments) if whole.match(argument)), None)
        if position is None:
            continue
        callee = match.group(1)
        if callee in _CONVERTERS:
            return _CONVERTERS[callee]
        helper = functions.get(callee)
        if helper is None or depth >= 3 or position >= len(helper.params):
            return "object"  # a type test (mp_obj_is_*), or a call we cannot follow
        return _argument_kind(re.escape(helper.params[position]), helper.body, functions, depth + 1)
    return "object"


def _call_arguments(body: str, start: int) -> list[str]:
    """The top-level comma-separated arguments of the call whose `(` ends just before `start`."""
    depth, current, arguments = 0, [], []
    for char in body[start:]:
        if char == ")" and depth == 0:
            arguments.append("".join(current))
            return arguments
        if char == "," and depth == 0:
            arguments.append("".join(current))
            current = []
            continue
        depth += char in "([{"
        depth -= char in ")]}"
        current.append(char)
    return arguments


def _arg_kinds(define: _Define, function: _CFunction, functions: dict[str, _CFunction]) -> tuple[str, ...]:
    count = define.max_args if define.max_args is not None else define.min_args
    kinds: list[str] = []
    for index in range(count):
        if define.variant in "0123":
            pattern = re.escape(function.params[index]) if index < len(function.params) else None
        elif define.variant == "KW":
            return ()
        else:
            args = function.params[1] if len(function.params) > 1 else "args"
            pattern = re.escape(args) + r"\s*\[\s*" + str(index) + r"\s*\]"
        kinds.append(_argument_kind(pattern, function.body, functions) if pattern else "object")
    return tuple(kinds)


# --- keyword arguments ------------------------------------------------------------------------------------------
_ALLOWED_ARG = re.compile(r"\{\s*MP_QSTR_(\w+)\s*,\s*([A-Z_ |]+?)\s*,")


def _keywords(function: _CFunction) -> tuple[tuple[str, ...], int | None]:
    """A `_KW` function's keyword names, and how many positional arguments its parse accepts."""
    allowed = _ALLOWED_ARG.findall(function.body)
    names = tuple(name for name, _ in allowed)
    if re.search(r"mp_arg_parse_all\s*\(\s*0\s*,", function.body):
        return names, UNBOUNDED  # print-style: positional values, keyword-only options
    positional = sum(1 for _, flags in allowed if "MP_ARG_KW_ONLY" not in flags)
    return names, positional


# --- return kinds -------------------------------------------------------------------------------------------------
_RETURN = re.compile(r"\breturn\b\s*([^;]*);")
_EXPRESSION_KINDS = (
    (re.compile(r"^mp_const_none$"), "none"),
    (re.compile(r"^mp_const_(true|false)$|^mp_obj_new_bool\b"), "bool"),
    (re.compile(r"^mp_obj_new_int|^MP_OBJ_NEW_SMALL_INT\b|^mp_obj_new_int_from"), "int"),
    (re.compile(r"^mp_obj_new_float"), "float"),
    (re.compile(r"^mp_obj_new_str|^mp_obj_new_qstr|^MP_OBJ_NEW_QSTR\b"), "str"),
    (re.compile(r"^mp_obj_new_bytes|^mp_obj_new_bytearray"), "bytes"),
    (re.compile(r"^mp_obj_new_tuple"), "tuple"),
    (re.compile(r"^mp_obj_new_list"), "list"),
    (re.compile(r"^mp_obj_new_dict"), "dict"),
)


@dataclass
class _Types:
    """Firmware object types: C type object -> Python type name, constant object -> C type object."""

    names: dict[str, str]  # node_type -> "node"
    objects: dict[str, tuple[str, str | None]]  # node_gnd_obj -> ("node_type", "100")


def _types(code: str) -> _Types:
    names = {
        m.group(1): m.group(2) for m in re.finditer(r"MP_DEFINE_CONST_OBJ_TYPE\s*\(\s*(\w+)\s*,\s*MP_QSTR_(\w+)", code)
    }
    objects: dict[str, tuple[str, str | None]] = {}
    for m in re.finditer(
        r"(?:static\s+)?(?:const\s+)?\w+_t\s+(\w+)\s*=\s*\{\s*(?:\.base\s*=\s*)?\{\s*&(\w+)\s*\}\s*,?\s*"
        r"(?:\.value\s*=\s*)?([-\w]+)?",
        code,
    ):
        objects[m.group(1)] = (m.group(2), m.group(3))
    return _Types(names, objects)


def _return_kinds(
    name: str, functions: dict[str, _CFunction], types: _Types, seen: frozenset[str] = frozenset()
) -> set[str]:
    function = functions.get(name)
    if function is None or name in seen:
        return {"unknown"}
    kinds: set[str] = set()
    for match in _RETURN.finditer(function.body):
        if _after_raise(function.body, match.start()):
            continue  # `mp_raise_X(...); return mp_const_none;` only quiets the compiler
        kinds |= _expression_kinds(match.group(1).strip(), function, functions, types, seen | {name})
    if not _RETURN.search(function.body):
        kinds.add("unknown")  # ends in mp_raise_* or falls off the end
    return kinds


def _after_raise(body: str, offset: int) -> bool:
    """Whether the statement just before `offset` raises (mp_raise_* and nlr_raise never return)."""
    before = body[:offset].rstrip()
    if not before.endswith(";"):
        return False
    start = max(before.rfind(";", 0, len(before) - 1), before.rfind("{"), before.rfind("}")) + 1
    return re.match(r"\s*(mp_raise_\w+|nlr_raise)\s*\(", before[start:]) is not None


def _expression_kinds(
    expression: str, function: _CFunction, functions: dict[str, _CFunction], types: _Types, seen: frozenset[str]
) -> set[str]:
    expression = re.sub(r"^\(\s*mp_obj_t\s*\)\s*", "", expression).strip()
    for pattern, kind in _EXPRESSION_KINDS:
        if pattern.search(expression):
            return {kind}
    branches = _top_level_conditional(expression)
    if branches:
        return set().union(*(_expression_kinds(b, function, functions, types, seen) for b in branches))
    pointer = re.match(r"^MP_OBJ_FROM_PTR\s*\(\s*&?\s*(\w+)\s*\)$|^MP_ROM_PTR\s*\(\s*&(\w+)\s*\)$", expression)
    if pointer:
        target = pointer.group(1) or pointer.group(2)
        if target in types.objects:
            return {types.names.get(types.objects[target][0], "unknown")}
        assigned = re.search(r"\b" + re.escape(target) + r"\s*->\s*base\.type\s*=\s*&\s*(\w+)", function.body)
        if assigned:
            return {types.names.get(assigned.group(1), "unknown")}
        return {"unknown"}
    call = re.match(r"^(\w+)\s*\(", expression)
    if call and call.group(1) in functions:
        return _return_kinds(call.group(1), functions, types, seen)
    variable = re.match(r"^(\w+)$", expression)
    if variable and variable.group(1) in function.params:
        checked = re.search(r"mp_obj_get_type\s*\(\s*" + variable.group(1) + r"\s*\)\s*==\s*&\s*(\w+)", function.body)
        return {types.names.get(checked.group(1), "unknown")} if checked else {"unknown"}
    if variable:
        assignment = re.search(r"\b" + re.escape(variable.group(1)) + r"\s*=\s*([^;=][^;]*);", function.body)
        if assignment and assignment.group(1).strip() != expression:
            return _expression_kinds(assignment.group(1).strip(), function, functions, types, seen)
    return {"unknown"}


def _top_level_conditional(expression: str) -> tuple[str, str] | None:
    """The two branches of `cond ? a : b` when the `?` is outside every parenthesis."""
    depth = 0
    question = None
    for index, char in enumerate(expression):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and char == "?" and question is None:
            question = index
        elif depth == 0 and char == ":" and question is not None:
            return expression[question + 1 : index].strip(), expression[index + 1 :].strip()
    return None


# --- the globals table ------------------------------------------------------------------------------------------
_GLOBALS = re.compile(r"jumperless_module_globals_table\s*\[\s*\]\s*=\s*\{")
_ENTRY = re.compile(
    r"\{\s*MP_ROM_QSTR\s*\(\s*MP_QSTR_(\w+)\s*\)\s*,\s*MP_ROM_(PTR|INT|QSTR)\s*\(\s*&?\s*([-\w]+)\s*\)\s*\}"
)


def parse_module(text: str) -> ModuleTable:
    """The signature table of one modjumperless.c."""
    code = _strip_comments(text)
    masked = _mask_strings(code)
    functions = _c_functions(code, masked)
    defines = _defines(code)
    types = _types(code)
    start = _GLOBALS.search(masked)
    if start is None:
        raise ValueError("no jumperless_module_globals_table in this source")
    end = _block(masked, start.end() - 1)
    table = ModuleTable()
    for entry in _ENTRY.finditer(code, start.end(), end):
        name, form, target = entry.groups()
        line = _line_of(code, entry.start())
        if name == "__name__" or name in table.functions or name in table.constants:
            continue  # a repeated entry: the first one wins in a ROM map lookup
        if form == "INT":
            table.constants[name] = ConstantSig("int", _int_or_name(target), line)
        elif form == "QSTR":
            table.constants[name] = ConstantSig("str", target.removeprefix("MP_QSTR_"), line)
        elif target in defines:
            table.functions[name] = _function(defines[target], functions, types)
        elif target in types.names:
            table.constants[name] = ConstantSig("type", types.names[target], line)
        elif target in types.objects:
            type_object, value = types.objects[target]
            type_name = "module" if type_object == "mp_type_module" else types.names.get(type_object, "object")
            table.constants[name] = ConstantSig(type_name, _int_or_name(value), line)
        else:
            table.constants[name] = ConstantSig(_module_or_object(target, code), None, line)
    table.node_names.update(_mappings(code, "node_mappings"))
    table.pad_names.update(_mappings(code, "pad_mappings"))
    return table


def _function(define: _Define, functions: dict[str, _CFunction], types: _Types) -> FunctionSig:
    c_function = functions.get(define.c_function)
    keywords: tuple[str, ...] = ()
    max_args = define.max_args
    if c_function is not None and define.variant == "KW":
        keywords, max_args = _keywords(c_function)
    arg_kinds = _arg_kinds(define, c_function, functions) if c_function is not None else ()
    returns = tuple(sorted(_return_kinds(define.c_function, functions, types)))
    return FunctionSig(define.c_function, define.min_args, max_args, keywords, arg_kinds, returns, define.line)


def _int_or_name(value: str | None) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value, 0)
    except ValueError:
        return value


def _module_or_object(target: str, code: str) -> str:
    if re.search(r"\b" + re.escape(target) + r"\b\s*=\s*\{\s*\.base\s*=\s*\{\s*&mp_type_module\b", code):
        return "module"
    return "object"


def _mappings(code: str, table_name: str) -> dict[str, int]:
    start = re.search(table_name + r"\s*\[\s*\]\s*=\s*\{", code)
    if start is None:
        return {}
    end = _block(_mask_strings(code), start.end() - 1)
    found: dict[str, int] = {}
    for name, value in re.findall(r'\{\s*"([^"]+)"\s*,\s*(-?\d+)\s*\}', code[start.end() : end]):
        found.setdefault(name, int(value))  # lookups return the first match
    return found
