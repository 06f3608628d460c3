"""Ranking tools for a task written in plain words ("put 5 volts on the top rail").

A small BM25-style scorer over each tool's name, subsystem, description and parameters; with several
boards, a query that names one ("on bench 2") ranks that board's tools first. Words are stemmed and folded
into the concepts bench people use for the same thing (volts/voltage/V, wire/jumper/bridge/connect,
measure/meter, rail/supply), so a query needs no words from the tool's name. No I/O and no MCP here:
`SearchIndex` takes plain `ToolText` records."""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# How much a word counts in each part of a tool's text.
FIELD_WEIGHTS = {
    "name": 3.0,
    "subsystem": 1.5,
    "summary": 1.5,  # the description's first sentence
    "params": 1.0,  # parameter names
    "details": 0.6,  # the rest of the description
    "param_text": 0.3,  # parameter descriptions
}
SATURATION = 1.2  # BM25's k1: the fifth mention of a word adds little
LENGTH_NORMALISATION = 0.5  # BM25's b: a long description does not win by saying everything
BOARD_BONUS = 20.0  # a query that names a board ("on bench 2") puts that board's tools first
NAME_BONUS = 1.5  # extra for the share of the tool's name the query covers: names are the best summary
TYPO_CUTOFF = 0.8  # difflib similarity for taking an unknown query word as a misspelling
RELATED_WEIGHT = 0.4  # a related concept counts this much of a word the query used

_STOP_WORDS_TEXT = """a an and any are as at be been being but by can could do does doing done for from get got give
    had has have how i if in into is it its just let like make me my need needs now of on onto or our
    out please should so some that the their them then there these this those to too up use using want
    wants was we what when where which while who will with would you your s t d ll re ve gets getting"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Words bench people use for the same thing. Each group folds into its first word; every word is stemmed
# first (see `stem`), so list base forms.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("voltage", "volt", "v", "vdc", "potential", "3v3", "mv", "millivolt"),
    ("connect", "wire", "jumper", "bridge", "link", "join", "hook", "attach", "tie", "patch", "route", "short"),
    ("disconnect", "unwire", "unhook", "detach", "remove", "unplug", "cut", "break", "delete", "rip", "rid"),
    ("measure", "sense", "meter", "multimeter", "sample", "monitor"),
    ("read", "reading", "readback"),
    ("rail", "supply", "vcc", "vdd", "psu"),
    ("current", "amp", "ampere", "ma", "milliamp", "draw", "consumption", "ina", "ina219", "shunt"),
    ("frequency", "hz", "khz", "mhz", "hertz", "freq"),
    (
        "waveform",
        "wave",
        "wavegen",
        "sine",
        "triangle",
        "sawtooth",
        "saw",
        "signal",
        "generator",
        "gen",
        "fn",
        "func",
        "funcgen",
        "siggen",
        "sig",
        "awg",
    ),
    ("pwm", "duty", "dim", "dimm", "fade", "brightness"),
    ("blink", "flash", "pulse", "oscillate", "flicker"),
    ("gpio", "pin", "io", "digital"),
    ("pull", "pullup", "pulldown", "keeper", "resistor"),
    ("level", "high", "low"),
    ("oled", "display", "screen", "lcd"),
    ("print", "show", "say", "message", "text"),
    ("led", "light", "colour", "color", "rgb", "glow", "highlight"),
    ("file", "filesystem", "fs", "storage", "folder", "directory", "txt"),
    ("slot", "preset", "profile"),
    ("snapshot", "checkpoint", "backup", "bookmark"),
    ("discard", "ditch", "revert", "abandon", "throw"),
    ("history", "recent", "recently", "log", "changelog", "past"),
    ("name", "label", "rename", "call", "tag"),
    ("net", "netlist", "circuit", "schematic"),
    ("node", "row", "hole", "strip"),
    ("many", "batch", "bulk", "several", "multiple", "whole", "atomic", "once"),
    ("ground", "gnd", "0v"),
    ("adc", "analog", "analogue"),
    ("dac",),
    ("arduino", "nano", "sketch", "mcu", "microcontroller"),
    ("python", "micropython", "script", "code", "repl", "snippet", "py"),
    ("execute", "exec", "eval", "run"),
    ("reset", "reboot", "restart"),
    ("clear", "wipe", "erase", "blank", "empty", "clean"),
    ("list", "enumerate", "inventory"),
    ("info", "version", "health", "alive", "plug", "plugged"),
    ("probe", "tip", "stylus"),
    ("button", "press", "click", "pushbutton"),
    ("logic", "analyzer", "analyser", "la", "capture", "trace"),
    ("stop", "halt", "kill", "off", "disable"),
    ("start", "begin", "enable", "turn"),
    ("top", "upper", "positive"),
    ("bottom", "lower"),
    ("uart", "serial", "tx", "rx"),
    ("whether", "is"),  # only tool names keep "is": is_connected
)

# Query words that also hint at a related concept ("check" a node: read it, or ask whether it is connected).
RELATED: dict[str, tuple[str, ...]] = {
    "measure": ("read", "adc", "voltage"),
    "read": ("measure",),
    "check": ("whether", "read", "measure"),
    "whether": ("read",),
    "are": ("whether",),
    "what": ("get", "read", "status", "list"),
    "which": ("get", "read", "list"),
    "how": ("get", "read", "measure"),
    "voltage": ("dac", "adc"),
    "node": ("net",),
    "net": ("node",),
    "blink": ("pwm", "gpio"),
    "toggle": ("level", "gpio", "write"),
    "pull": ("disconnect",),
    "save": ("write",),
    "write": ("print",),
    "execute": ("start",),
    "start": ("execute",),
    "file": ("read",),
    "all": ("clear", "list", "get"),
    "firmware": ("info",),
}

# Nodes and units that say which subsystem a query is about: "D13" is an Arduino header pin, "5V" a voltage.
TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^\d+(?:\.\d+)?(m?v|vpp|vdc)$"), ("voltage",)),
    (re.compile(r"^\d+(?:\.\d+)?(m?a|ua)$"), ("current",)),
    (re.compile(r"^\d+(?:\.\d+)?(k|m)?hz$"), ("frequency",)),
    (re.compile(r"^\d+v\d+$"), ("voltage",)),  # 3v3
    (re.compile(r"^d\d{1,2}$"), ("arduino", "node")),
    (re.compile(r"^a\d$"), ("arduino", "node")),
    (re.compile(r"^gpio\d$"), ("gpio",)),
    (re.compile(r"^adc\d$"), ("adc",)),
    (re.compile(r"^dac\d$"), ("dac",)),
    (re.compile(r"^\d+%$"), ("pwm",)),
)


def stem(word: str) -> str:
    """A light suffix stripper: enough that 'volts', 'voltage' and 'connected' meet their base forms."""
    if word.endswith(("ss", "us", "is")):  # "bus", "status", "analysis" are not plurals
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed") and base[-1] == base[-2] and base[-1] not in "lsz":  # "tapped" -> "tap"
                base = base[:-1]
            word = base
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word  # "wire", "wired", "wires" -> "wir"


def _concept_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in SYNONYMS:
        for word in group:
            table.setdefault(stem(word), group[0])
    return table


CONCEPTS = _concept_table()
WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?%?")


def concepts(text: str, keep_stop_words: bool = False) -> list[str]:
    """The concepts in a text, in order: words lowercased, split on punctuation and snake_case, stemmed, folded."""
    found: list[str] = []
    for word in WORD.findall(_phrases(text.lower()).replace("_", " ")):
        matched = [c for pattern, cs in TOKEN_PATTERNS if pattern.match(word) for c in cs]
        if matched:
            found.extend(matched)
            continue
        if (word in STOP_WORDS and not keep_stop_words) or word.replace(".", "").isdigit():
            continue
        base = stem(word)
        found.append(CONCEPTS.get(base, base))
    return found


# Phrases whose words mean something else apart: an op amp is not a current, a flash filesystem does not blink.
PHRASES = {
    "op amp": "opamp",
    "op-amp": "opamp",
    "pull up": "pullup",
    "pull down": "pulldown",
    "flash filesystem": "filesystem",
    "flash memory": "memory",
}


def _phrases(lowered: str) -> str:
    for phrase, word in PHRASES.items():
        lowered = re.sub(rf"\b{re.escape(phrase)}\b", word, lowered)
    return lowered


FILE_PATH = re.compile(r"(^|\s)(/\S*|\S+\.(txt|py|json|toml|csv|md|cfg|ini))\b")


def query_concepts(query: str) -> dict[str, float]:
    """The query's concepts with their importance: 1 for what it says, RELATED_WEIGHT for what it hints at."""
    lowered = _phrases(query.lower())
    said = concepts(lowered) + [word for word in WORD.findall(lowered) if word in RELATED and word in STOP_WORDS]
    if re.match(r"\s*(is|are)\b", lowered):  # a yes/no question
        said.append("whether")
    if "set" in said and (lowered.rstrip().endswith("?") or re.match(r"\s*(what|which|how)\b", lowered)):
        said[said.index("set")] = "setpoint"  # "what is the rail set to?" asks for a setpoint
    if FILE_PATH.search(lowered):
        said.append("file")
    wanted = dict.fromkeys(said, 1.0)
    for concept in said:
        for hint in RELATED.get(concept, ()):
            wanted.setdefault(hint, RELATED_WEIGHT)
    return wanted


@dataclass(frozen=True)
class ToolText:
    """What search knows about one tool."""

    name: str  # the wire name, returned as is
    subsystem: str
    description: str
    params: tuple[tuple[str, str], ...] = ()  # (name, description)
    board: str = ""  # with several boards: which board it drives


@dataclass(frozen=True)
class Match:
    name: str
    score: float
    summary: str
    subsystem: str
    board: str


ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.")  # a full stop inside a sentence
SUMMARY_LIMIT = 200  # characters: one line of a search result
SHORT_SENTENCE = 30  # "Start here." says too little alone: the summary runs on to the next sentence


def summary(description: str, limit: int | None = SUMMARY_LIMIT) -> str:
    """The description's first sentence: the one line a search result (cut at `limit`) and the README table show."""
    text = description.strip()
    end = 0
    for match in re.finditer(r"[.!?](?=\s|$)", text):
        end = match.end()
        if not text[:end].lower().endswith(ABBREVIATIONS) and end >= SHORT_SENTENCE:
            break
    else:
        end = len(text)
    first = text[:end]
    if limit is None or len(first) <= limit:
        return first
    head = first[: limit - 1]
    cut = max(head.rfind(", "), head.rfind("; "), head.rfind(": "))  # end at a clause, or else at a word
    if cut < limit // 2:
        cut = head.rfind(" ")
    return head[:cut].rstrip(",;: ") + "…"


def _phrase(text: str) -> str:
    """Words joined by single spaces and padded, so 'bench_2' is found in 'read it on Bench-2.' and not in 'gpio 2'."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return f" {' '.join(words)} " if words else ""


def _own_name(tool: ToolText) -> str:
    """The tool's name without its board prefix."""
    return tool.name.removeprefix(f"{tool.board}_") if tool.board else tool.name


def _text(tool: ToolText) -> str:
    return " ".join([tool.name, tool.board, tool.subsystem, tool.description, *(f"{n} {t}" for n, t in tool.params)])


class SearchIndex:
    """Tools indexed for `search(query)`. Build once per tool set; searching is pure and fast."""

    def __init__(self, tools: Iterable[ToolText]) -> None:
        self._tools = list(tools)
        self._weights = [self._weigh(tool) for tool in self._tools]
        self._names = [set(concepts(_own_name(tool), keep_stop_words=True)) for tool in self._tools]
        self._boards = [_phrase(tool.board) for tool in self._tools]
        documents = len(self._tools)
        frequency = Counter(concept for weights in self._weights for concept in weights)
        self._idf = {c: math.log(1 + (documents - n + 0.5) / (n + 0.5)) for c, n in frequency.items()}
        sizes = [sum(weights.values()) for weights in self._weights]
        average = sum(sizes) / len(sizes) if sizes else 1.0
        self._lengths = [size / average for size in sizes]  # relative to the average tool
        self._words = {word for tool in self._tools for word in WORD.findall(_text(tool).lower())}
        self._words |= {word for group in SYNONYMS for word in group}
        self._words_by_letter: dict[str, list[str]] = {}
        for word in sorted(self._words):
            self._words_by_letter.setdefault(word[0], []).append(word)

    @staticmethod
    def _weigh(tool: ToolText) -> dict[str, float]:
        first = re.split(r"(?<=[.!?])\s", tool.description.strip(), maxsplit=1)[0]  # ranks the bare first sentence
        fields = {
            "name": _own_name(tool),
            "subsystem": tool.subsystem,
            "summary": first,
            "details": tool.description[len(first) :],
            "params": " ".join(name for name, _ in tool.params),
            "param_text": " ".join(text for _, text in tool.params),
        }
        weights: Counter[str] = Counter()
        for field, text in fields.items():
            for concept in concepts(text, keep_stop_words=field == "name"):
                weights[concept] += FIELD_WEIGHTS[field]
        return dict(weights)

    def search(self, query: str, limit: int = 8) -> list[Match]:
        wanted = query_concepts(self._spelled(query))
        phrase = _phrase(query)
        scored: list[tuple[float, int]] = []
        for position, weights in enumerate(self._weights):
            saturation = SATURATION * (1 - LENGTH_NORMALISATION + LENGTH_NORMALISATION * self._lengths[position])
            score = 0.0
            for concept, importance in wanted.items():
                weight = weights.get(concept)
                if weight:
                    score += importance * self._idf[concept] * weight * (SATURATION + 1) / (weight + saturation)
            name = self._names[position]
            score += NAME_BONUS * sum(wanted.get(c, 0.0) * self._idf.get(c, 0.0) for c in name) / max(len(name), 1)
            board = self._boards[position]
            if board and score > 0 and board in phrase:
                score += BOARD_BONUS
            if score > 0:
                scored.append((score, position))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [self._match(position, score) for score, position in scored[:limit]]

    def _spelled(self, query: str) -> str:
        """The query with words no tool uses replaced by the closest word one does: 'volatge' is 'voltage'."""

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if len(word) < 5 or word in self._words or word in STOP_WORDS or not word.isalpha():
                return word
            close = difflib.get_close_matches(word, self._words_by_letter.get(word[0], []), n=1, cutoff=TYPO_CUTOFF)
            return close[0] if close else word  # typos rarely change the first letter

        return WORD.sub(fix, query.lower())

    def _match(self, position: int, score: float) -> Match:
        tool = self._tools[position]
        return Match(tool.name, round(score, 2), summary(tool.description), tool.subsystem, tool.board)
