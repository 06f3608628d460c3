"""The board side of a capture: the MicroPython burst loop the host renders for a checked `Plan` (every value
through `literal`), and the parsing of what it prints.

The loop samples the channels into preallocated arrays, paced to the rate with `time.ticks_us` (a sample that
comes late moves the schedule on instead of bunching the next ones), each sample's time the middle of its
channel reads; then it prints `<tag>H:` (samples, channels, triggered, trigger wait in us; with pre-trigger
samples also the trigger sample's index), `<tag>T:` (time deltas in us) and `<tag>V<q>:` lines (integers: 0.1 mV,
1 uA; `n` for a reading that is not a number).
On the raw REPL it goes as it is; on the `>` channel as one `exec(...)` line with `~` for its line ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from firmware_api.errors import FirmwareError
from firmware_api.quoting import literal
from jumperless_mcp.bench.capture_plan import HYSTERESIS, LINE_VALUES, SCALE, SCALE_TEXT, Plan
from jumperless_mcp.errors import JumperlessError

# The burst loop, in pieces the host joins (the trigger wait and the pacing only when asked for). Names are
# short: on the `>` channel it travels as one exec() line.
_HEAD = """\
import gc,time
from array import array
def _jc(n,p,S,T,G):
 u=time.ticks_us;D=time.ticks_diff;k=len(S);f=w=0
 gc.collect();m=9*n*(k+1)
 if gc.mem_free()<m:raise MemoryError(m)
 v=array("f",bytes(4*n*k));t=array("i",bytes(4*n))
"""
_TRIGGER = """\
 c,x,l,e,h,o=T;s=u();a=0
 while 1:
  w=D(u(),s)
  if w>o:break
  y=e*(c(x)-l)
  if y<-h:a=1
  elif a and y>=0:f=1;break
"""
_LOOP = """\
 j=0;Z=0;b=u()
 for i in range(n):
"""
_PACE = """\
  d=Z-D(u(),b)
  if d>0:time.sleep_us(d)
  else:Z-=d
  Z+=p
"""
_SAMPLE = """\
  g=D(u(),b)
  for c,x,z in S:v[j]=c(x);j+=1
  t[i]=(g+D(u(),b))//2
"""
# With pretrigger P > 0 (a trigger and a rate): the wait samples every channel on the rate's schedule into the
# first P + 1 rows as a ring (the trigger decision reads the trigger channel's value of that sample: its column
# r, or one more read when it is not sampled); the edge's sample is the last in the ring; sampling goes on after
# the ring's rows, then the ring is rotated into time order (three reversals, nothing allocated) and the header
# adds the trigger sample's index.
_RING = """\
 C,X,l,e,h,o,P,r=T;R=P+1;a=i=Z=0;s=-1;b=u()
 while s<0 or i<n:
  d=Z-D(u(),b)
  if d>0:time.sleep_us(d)
  else:Z-=d
  Z+=p;g=D(u(),b);q=i if s>=0 else i%R;j=q*k
  for c,x,z in S:v[j]=c(x);j+=1
  t[q]=(g+D(u(),b))//2;i+=1
  if s<0:
   y=e*((v[j-k+r] if r>=0 else C(X))-l);w=D(u(),b)
   if y<-h:a=1
   elif a and y>=0:f=1
   if f or w>o:s=min(i,R);o=i%R if i>R else 0;i=s
"""
_ROTATE = """\
 for a,z in((0,o),(o,s),(0,s)):
  while a<z-1:
   z-=1;t[a],t[z]=t[z],t[a]
   for q in range(k):x=a*k+q;y=z*k+q;v[x],v[y]=v[y],v[x]
   a+=1
"""
_HEADER = 'print(G+"H:%d,%d,%d,%d"%(n,k,f,w))'
_RING_HEADER = 'print(G+"H:%d,%d,%d,%d,%d"%(n,k,f,w,s-1))'
_TAIL = """\
 {header}
 for q in range(-1,k):
  for i in range(0,n,{lines}):
   print(G+("T:" if q<0 else "V%d:"%q)+",".join([str(t[r]-(t[r-1] if r else 0)) if q<0 else Q(v[r*k+q]*S[q][2])
    for r in range(i,min(n,i+{lines}))]))
Q=lambda y:str(round(y)) if -1e9<y<1e9 else "n"
_jc({args})
del _jc,Q
"""


def board_source(plan: Plan, tag: str) -> str:
    """The MicroPython that runs one capture and prints `<tag>H:`, `<tag>T:` and `<tag>V<q>:` lines.

    Values print as integers (`SCALE`); a reading that is not a number (or beyond +-1e9 of its scale, which
    5.3.x's small ints could not hold) prints `n`."""
    sources = ",".join(f"({c.function},{literal(c.index)},{SCALE_TEXT[c.unit]})" for c in plan.channels)
    trigger = plan.trigger
    ring = plan.pretrigger > 0 and trigger is not None and plan.rate is not None
    if trigger is None:
        wait = "None"
    else:
        edge = 1 if trigger.edge == "rising" else -1
        parts = [literal(trigger.channel), literal(float(trigger.level)), literal(edge), literal(HYSTERESIS)]
        parts.append(literal(round(trigger.timeout * 1e6)))
        if ring:
            parts += [literal(plan.pretrigger), literal(_column(plan, trigger.channel))]
        wait = f"(adc_get,{','.join(parts)})"
    args = ",".join([literal(plan.samples), literal(plan.period_us), f"({sources},)", wait, literal(tag)])
    if ring:
        body = _HEAD + _RING + _ROTATE
    else:
        body = _HEAD + (_TRIGGER if trigger else "") + _LOOP + (_PACE if plan.rate else "") + _SAMPLE
    return body + _TAIL.format(header=_RING_HEADER if ring else _HEADER, lines=LINE_VALUES, args=args)


def _column(plan: Plan, adc: int) -> int:
    """The trigger ADC's column among the sampled channels, or -1 when it is not sampled (then read apart)."""
    for column, channel in enumerate(plan.channels):
        if channel.function == "adc_get" and channel.index == adc:
            return column
    return -1


def one_line(source: str) -> str:
    """The burst as one statement for the `>` channel: exec() of the source text, its line ends sent as `~`
    (one character where an escaped newline takes four, on a line whose length is limited)."""
    if "~" in source:
        raise ValueError("the burst source holds a ~")
    return f"exec({literal(source.replace(chr(10), '~'))}.replace('~',chr(10)))"


@dataclass(frozen=True)
class Raw:
    """What the board printed, decoded: trigger outcome, times (us) and values per channel, and the trigger
    sample's index (0 without pre-trigger samples)."""

    found: bool
    waited_us: int
    times_us: list[int]
    values: list[list[float]]
    trigger_index: int = 0


def parse_output(stdout: str, tag: str, plan: Plan) -> Raw:
    """The tagged lines of one capture (other lines are ignored), checked for completeness."""
    head: list[int] | None = None
    deltas: list[int] = []
    columns: list[list[float]] = [[] for _ in plan.channels]
    pattern = re.compile(re.escape(tag) + r"(H|T|V(\d+)):([^\r\n]*)")
    for found in pattern.finditer(stdout):
        kind, column, body = found.group(1), found.group(2), found.group(3)
        numbers = body.split(",") if body else []
        try:
            if kind == "H":
                head = [int(x) for x in numbers]
            elif kind == "T":
                deltas += [int(x) for x in numbers]
            else:
                scale = SCALE[plan.channels[int(column)].unit]
                columns[int(column)] += [math.nan if x == "n" else int(x) / scale for x in numbers]
        except (ValueError, IndexError):
            raise JumperlessError(f"capture: the board printed an unreadable line {found.group(0)[:80]!r}") from None
    fields = 5 if plan.pretrigger else 4  # with pre-trigger samples: the trigger sample's index too
    if head is None or len(head) != fields:
        raise JumperlessError(f"capture: the board's output had no header line ({stdout[-200:]!r})")
    n, k, trig, waited = head[:4]
    index = head[4] if plan.pretrigger else 0
    if not 0 <= index <= plan.pretrigger:
        raise JumperlessError(f"capture: the board's trigger sample {index} is past the {plan.pretrigger} asked")
    if n != plan.samples or k != len(plan.channels) or len(deltas) != n or any(len(c) != n for c in columns):
        raise JumperlessError(
            f"capture: the board's output is incomplete ({len(deltas)} times, "
            f"{[len(c) for c in columns]} values for {plan.samples} samples)"
        )
    times: list[int] = []
    total = 0
    for delta in deltas:
        total += delta
        times.append(total)
    return Raw(bool(trig), waited, times, columns, index)


def call_timeout(plan: Plan, default: float) -> float:
    """The whole round trip's limit: the trigger wait, the sampling, and printing it all, with room."""
    sampling = plan.samples * (plan.period_us / 1e6 if plan.rate else 0.0) + plan.samples * len(plan.channels) * 5e-4
    printed = plan.samples * (len(plan.channels) + 1) * 8 / 20_000  # bytes at a slow 20 KB/s
    waiting = plan.trigger.timeout if plan.trigger else 0.0
    return default + waiting + 2 * sampling + printed


def explain_error(error: FirmwareError, plan: Plan) -> Exception:
    """The board's error as the caller should see it: running out of heap says what to ask for instead."""
    if error.exc_type == "MemoryError":
        return JumperlessError(
            f"capture: the board's MicroPython heap cannot hold {plan.samples} samples of {len(plan.channels)} "
            f"channel(s) ({error.message}); capture fewer samples or channels"
        )
    return error
