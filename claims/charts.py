"""
The pictures on the topic and detainee pages, as geometry: no ORM, no request, no markup.

The views turn claims into `ChartClaim`s (plain facts, a lane and a text
alternative); the functions here place them and return shapes with
coordinates and labels; templates/claims/_timeline.svg.html and
_range_chart.svg.html only draw what they are given. So the pictures are
tested here, without a database or a browser.

Choices, written down here:

- A claim is placed at the day it is *about* (`as_of`, else `stated_on`):
  the date detection compares, so the line joining the two claims of a
  conflict spans at most the topic's window. Its text alternative says when
  it was said when that differs.
- Stance is shown by colour *and* shape, never colour alone: a filled circle
  affirms, a cross denies, a diamond says "no information", a square is a
  position. A superseded claim is hollow and faded, and its label says so.
- Both charts share one width and one date scale, so a day sits at the same
  x in the timeline and the range chart drawn below it.
- The range chart draws what each claim allows according to the conflict
  rules (`claims.conflicts.value_of`): "some" is the bar [1, 53], "36" a
  point, "not all 53" the bar [0, 52]. A bare "no information" has no value,
  so it is a diamond on the date axis. Bars of different sources on the same
  day sit side by side, each numbered after its source in the key.
- Ticks: the smallest step among 1, 2, 7, 14 days, 1, 3, 6 months and 1, 2, 5,
  10... years that gives at most six ticks, so a one-day topic has one tick
  and a topic spanning years has yearly ones.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from claims import conflicts as rules

# The coordinate system (SVG user units). The SVG scales to its container.
WIDTH = 640
LEFT = 56  # room for the range chart's value labels; the timeline keeps it to line up
RIGHT = 48
PAD = 14  # keeps a mark on the first or last day clear of the edge
MAX_TICKS = 6

LANE_HEIGHT = 60
LANE_LABEL_DY = 22  # baseline of a lane's name, below the lane's top
LANE_MARK_DY = 42  # centre of a lane's marks
MARK_R = 7
HIT_R = 13  # a clickable, focusable area larger than the mark itself
DODGE = 16  # horizontal gap between marks of one source on one day
DODGE_SPAN = 96
LABEL_MAX = 60
SHORT_LABEL_MAX = 28

RANGE_TOP = 30
RANGE_PLOT_HEIGHT = 220
BAR_WIDTH = 8
BAR_MIN_HEIGHT = 6  # a single number ("36") still shows as a bar
# A range ("some of 53": 1 to 53) is drawn as an interval, not a column: caps
# wider than the bar at both ends, and a light fill, so that it never reads
# as "53 released"; a single number is a solid block.
CAP_WIDTH = 18
RANGE_FILL_OPACITY = 0.3
SOURCE_OFFSET = 14
SOURCE_SPAN = 84

# Colours as in static/crosscheck/site.css; each has at least 7:1 contrast on
# white, and faded (superseded) marks keep at least 3:1.
INK = "#1a1a1a"
MUTED = "#4a4a4a"
GRID = "#c9c9c9"
PAPER = "#ffffff"
POSITION = "position"
STANCE_COLOURS = {
    rules.AFFIRMS: "#1b5e20",
    rules.DENIES: "#a4161a",
    rules.NO_INFORMATION: "#5c4400",
    rules.DECLINES: "#37474f",
    POSITION: "#4a148c",
}
STANCE_SHAPES = {
    rules.AFFIRMS: "circle",
    rules.DENIES: "cross",
    rules.NO_INFORMATION: "diamond",
    rules.DECLINES: "triangle",
    POSITION: "square",
}
STANCE_NAMES = {
    rules.AFFIRMS: "affirms",
    rules.DENIES: "denies",
    rules.NO_INFORMATION: "no information",
    rules.DECLINES: "declines to say",
    POSITION: "position",
}
CONFLICT_COLOURS = {
    rules.Kind.GAP.value: "#7a4f00",
    rules.Kind.CONTRADICTION.value: "#a4161a",
    # A count against the named persons: a contradiction, drawn dotted.
    rules.Kind.LIST_CONTRADICTION.value: "#a4161a",
}
CONFLICT_DASHES = {
    rules.Kind.GAP.value: "7 4",
    rules.Kind.CONTRADICTION.value: "",
    rules.Kind.LIST_CONTRADICTION.value: "2 3",
}
FADED = 0.6


# Input ------------------------------------------------------------------


@dataclass(frozen=True)
class Lane:
    """One row of the timeline: a source. `key` is what ChartClaim.lane refers to."""

    key: int
    label: str
    short: str = ""  # for narrow screens: "Jen Psaki" rather than "Jen Psaki (U.S. ...)"


@dataclass(frozen=True)
class ChartClaim:
    """What a picture needs to know of a claim."""

    facts: rules.ClaimFacts
    lane: int
    label: str  # the text alternative: who, when, what
    superseded: bool = False

    @property
    def id(self) -> int:
        return self.facts.id

    @property
    def on(self) -> date:
        return self.facts.effective_as_of

    @property
    def stance(self) -> str:
        """Return the stance, or "position" for a position (which takes none)."""
        return POSITION if self.facts.kind == rules.POSITION else self.facts.stance


@dataclass(frozen=True)
class Link:
    """An open conflict, to be drawn as a line between its two claims."""

    id: int
    kind: str
    claim_a: int
    claim_b: int
    label: str


# Output -----------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    iso: str
    odd: bool  # every other label may be hidden on a narrow screen


@dataclass(frozen=True)
class LaneRow:
    key: int
    label: str
    short: str
    title: str  # the full name, when the label is clipped
    label_y: float
    y: float


@dataclass(frozen=True)
class Mark:
    claim_id: int
    stance: str
    shape: str
    x: float
    y: float
    d: str
    fill: str
    stroke: str
    stroke_width: float
    opacity: float
    superseded: bool
    label: str

    @property
    def dom_id(self) -> str:
        return f"mark-claim-{self.claim_id}"


@dataclass(frozen=True)
class ConflictLine:
    conflict_id: int
    kind: str
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    dash: str
    label: str


@dataclass(frozen=True)
class LegendItem:
    """A key entry: a glyph in a 24×16 box and what it means."""

    label: str
    d: str
    fill: str
    stroke: str
    stroke_width: float
    opacity: float
    dash: str = ""


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_left: float
    plot_right: float
    axis_y: float
    lanes: tuple[LaneRow, ...]
    marks: tuple[Mark, ...]
    lines: tuple[ConflictLine, ...]
    ticks: tuple[Tick, ...]
    description: str

    @property
    def legend(self) -> tuple[LegendItem, ...]:
        return timeline_legend()


@dataclass(frozen=True)
class RangeMark:
    claim_id: int
    stance: str
    key: int  # the source's number in the chart's key
    x: float
    bars: tuple[str, ...]  # one path per interval the claim allows
    # Per bar: the end caps of a range ("some of 53" is 1 to 53, capped at
    # both ends and lightly filled), or "" for a single number (a solid block).
    caps: tuple[str, ...]
    unknown: str  # a diamond on the axis, for "no information"
    key_y: float
    fill: str
    stroke: str
    dash: str
    opacity: float
    superseded: bool
    label: str

    @property
    def dom_id(self) -> str:
        return f"range-claim-{self.claim_id}"

    @property
    def drawn(self) -> tuple[tuple[str, str, float], ...]:
        """Return each bar's path, its caps and its fill opacity: a range is lightly filled."""
        return tuple(
            (bar, cap, RANGE_FILL_OPACITY if cap else 1.0)
            for bar, cap in zip(self.bars, self.caps, strict=True)
        )


@dataclass(frozen=True)
class ValueTick:
    y: float
    label: str


@dataclass(frozen=True)
class RangeChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    axis_y: float
    bound_y: float | None  # the topic's upper bound ("all 53"), when it has one
    marks: tuple[RangeMark, ...]
    date_ticks: tuple[Tick, ...]
    value_ticks: tuple[ValueTick, ...]
    keys: tuple[tuple[int, str], ...]
    description: str


@dataclass(frozen=True)
class StatusCell:
    """A source's latest claim about a detainee, and whom it disagrees with."""

    claim_id: int
    lane: int
    disagrees_with: tuple[tuple[int, str], ...]  # (lane, conflict kind)


# Scales -----------------------------------------------------------------


@dataclass(frozen=True)
class DateScale:
    start: date
    end: date
    left: float
    right: float

    def x(self, day: date) -> float:
        if self.start == self.end:
            return _r((self.left + self.right) / 2)
        share = (day - self.start).days / (self.end - self.start).days
        return _r(self.left + share * (self.right - self.left))


def date_scale(days: Iterable[date]) -> DateScale | None:
    """Return the scale from the first day to the last, or None when there is none."""
    days = list(days)
    if not days:
        return None
    return DateScale(min(days), max(days), LEFT + PAD, WIDTH - RIGHT - PAD)


STEPS: tuple[tuple[str, int], ...] = (
    ("day", 1),
    ("day", 2),
    ("week", 1),
    ("week", 2),
    ("month", 1),
    ("month", 3),
    ("month", 6),
    *(("year", n) for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)),
)


def _tick_days(start: date, end: date, unit: str, n: int) -> Iterator[date]:
    if unit == "day":
        day = start
        while day <= end:
            yield day
            day += timedelta(days=n)
    elif unit == "week":
        day = start + timedelta(days=(7 - start.weekday()) % 7)  # the first Monday
        while day <= end:
            yield day
            day += timedelta(weeks=n)
    elif unit == "month":
        year, month = start.year, start.month
        if start.day > 1:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (month - 1) % n:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (day := date(year, month, 1)) <= end:
            yield day
            month += n
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    else:
        year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
        year += -year % n
        while year <= date.max.year and (day := date(year, 1, 1)) <= end:
            yield day
            year += n


def date_ticks(start: date, end: date, max_ticks: int = MAX_TICKS) -> list[tuple[date, str]]:
    """Return at most `max_ticks` round days between start and end, with their labels."""
    for unit, n in STEPS:
        days = []
        for day in _tick_days(start, end, unit, n):
            days.append(day)
            if len(days) > max_ticks:
                break
        if days and len(days) <= max_ticks:
            return _label_ticks(days, unit)
    return _label_ticks([start], "day")


def _label_ticks(days: list[date], unit: str) -> list[tuple[date, str]]:
    labelled, previous = [], None
    for day in days:
        new_year = previous is None or previous.year != day.year
        if unit == "year":
            label = str(day.year)
        elif unit == "month":
            label = f"{day:%b} {day.year}" if new_year else f"{day:%b}"
        else:
            label = f"{day:%b} {day.day}" + (f", {day.year}" if new_year else "")
        labelled.append((day, label))
        previous = day
    return labelled


def _ticks(scale: DateScale) -> tuple[Tick, ...]:
    days = date_ticks(scale.start, scale.end)
    # On a narrow screen every other label gives way, when there are enough to spare.
    sparse = len(days) > 3
    return tuple(
        Tick(x=scale.x(day), label=label, iso=day.isoformat(), odd=sparse and i % 2 == 1)
        for i, (day, label) in enumerate(days)
    )


def value_ticks(low: float, high: float, max_ticks: int = MAX_TICKS) -> list[float]:
    """Return round values from low to high, always including both bounds."""
    if high <= low:
        return [low]
    step = _nice_step((high - low) / max_ticks)
    values = [low]
    value = math.ceil(low / step) * step
    while value < high:
        # A round value crowding a bound ("50" under "53") gives way to it.
        if value - low > 0.08 * (high - low) and high - value > 0.08 * (high - low):
            values.append(value)
        value += step
    values.append(high)
    return values


def _nice_step(raw: float) -> int:
    """Return the round step (1, 2, 5, 10, 20...) nearest above raw; counts are whole."""
    if raw <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)


def _nice_ceil(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude


# Shapes -----------------------------------------------------------------


def _r(value: float) -> float:
    return round(value, 1)


def _n(value: float) -> str:
    """Format a coordinate for a path: one decimal at most, no trailing ".0"."""
    text = f"{round(value, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def shape_path(shape: str, x: float, y: float, r: float = MARK_R) -> str:
    """Return the SVG path of a mark centred on (x, y)."""
    if shape == "circle":
        return (
            f"M{_n(x - r)} {_n(y)}a{_n(r)} {_n(r)} 0 1 0 {_n(2 * r)} 0"
            f"a{_n(r)} {_n(r)} 0 1 0 {_n(-2 * r)} 0Z"
        )
    if shape == "cross":
        return (
            f"M{_n(x - r)} {_n(y - r)}L{_n(x + r)} {_n(y + r)}"
            f"M{_n(x + r)} {_n(y - r)}L{_n(x - r)} {_n(y + r)}"
        )
    if shape == "diamond":
        s = r * 1.3
        return f"M{_n(x)} {_n(y - s)}L{_n(x + s)} {_n(y)}L{_n(x)} {_n(y + s)}L{_n(x - s)} {_n(y)}Z"
    if shape == "triangle":
        s = r * 1.2
        return f"M{_n(x)} {_n(y - s)}L{_n(x + s)} {_n(y + s)}H{_n(x - s)}Z"
    if shape == "square":
        s = r * 0.9
        return f"M{_n(x - s)} {_n(y - s)}H{_n(x + s)}V{_n(y + s)}H{_n(x - s)}Z"
    raise ValueError(f"unknown shape {shape!r}")


def mark_style(stance: str, superseded: bool) -> dict[str, str | float]:
    """Return fill, stroke, stroke width and opacity: a superseded mark is hollow and faded."""
    colour = STANCE_COLOURS[stance]
    if STANCE_SHAPES[stance] == "cross":
        fill, width = "none", 2.0 if superseded else 3.0
    else:
        fill, width = (PAPER, 2.0) if superseded else (colour, 1.5)
    return {
        "fill": fill,
        "stroke": colour,
        "stroke_width": width,
        "opacity": FADED if superseded else 1.0,
    }


def _clip(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _span(start: date, end: date) -> str:
    first = f"{start:%b} {start.day}, {start.year}"
    if start == end:
        return f"on {first}"
    return f"from {first} to {end:%b} {end.day}, {end.year}"


def _dodge(claims: Sequence[ChartClaim], key) -> dict[int, float]:
    """Spread claims that would sit on one spot side by side; return each one's x offset."""
    groups: dict[object, list[ChartClaim]] = defaultdict(list)
    for claim in claims:
        groups[key(claim)].append(claim)
    offsets = {}
    for group in groups.values():
        gap = min(DODGE, DODGE_SPAN / len(group))
        for i, claim in enumerate(group):
            offsets[claim.id] = (i - (len(group) - 1) / 2) * gap
    return offsets


def timeline_legend() -> tuple[LegendItem, ...]:
    """Return the key to the timeline's shapes and lines, in the order a reader meets them."""
    items = [
        LegendItem(
            label=STANCE_NAMES[stance].capitalize(),
            d=shape_path(shape, 12, 8, 6),
            **mark_style(stance, False),
        )
        for stance, shape in STANCE_SHAPES.items()
    ]
    items.append(
        LegendItem(
            label="Superseded by a later statement",
            d=shape_path("circle", 12, 8, 6),
            **mark_style(rules.AFFIRMS, True),
        )
    )
    for kind, name in (
        (rules.Kind.GAP.value, "Open gap"),
        (rules.Kind.CONTRADICTION.value, "Open contradiction"),
    ):
        items.append(
            LegendItem(
                label=name,
                d="M1 8H23",
                fill="none",
                stroke=CONFLICT_COLOURS[kind],
                stroke_width=2.5,
                opacity=1.0,
                dash=CONFLICT_DASHES[kind],
            )
        )
    return tuple(items)


# The timeline -----------------------------------------------------------


def timeline(
    claims: Sequence[ChartClaim], lanes: Sequence[Lane], links: Sequence[Link] = ()
) -> Timeline | None:
    """Place one mark per claim in its source's lane, and a line per open conflict.

    Return None when there is no claim to draw.
    """
    scale = date_scale(c.on for c in claims)
    if scale is None:
        return None
    rows, lane_y = [], {}
    for i, lane in enumerate(lanes):
        top = i * LANE_HEIGHT
        row = LaneRow(
            key=lane.key,
            label=_clip(lane.label),
            short=_clip(lane.short or lane.label, SHORT_LABEL_MAX),
            title=lane.label,
            label_y=top + LANE_LABEL_DY,
            y=top + LANE_MARK_DY,
        )
        rows.append(row)
        lane_y[lane.key] = row.y
    missing = {c.lane for c in claims} - lane_y.keys()
    if missing:
        raise ValueError(f"claims on lanes {sorted(missing)} that are not given")

    offsets = _dodge(claims, lambda c: (c.lane, c.on))
    marks, where = [], {}
    for claim in claims:
        x, y = _r(scale.x(claim.on) + offsets[claim.id]), lane_y[claim.lane]
        shape = STANCE_SHAPES[claim.stance]
        marks.append(
            Mark(
                claim_id=claim.id,
                stance=claim.stance,
                shape=shape,
                x=x,
                y=y,
                d=shape_path(shape, x, y),
                superseded=claim.superseded,
                label=claim.label,
                **mark_style(claim.stance, claim.superseded),
            )
        )
        where[claim.id] = (x, y)

    lines = tuple(
        ConflictLine(
            conflict_id=link.id,
            kind=link.kind,
            x1=where[link.claim_a][0],
            y1=where[link.claim_a][1],
            x2=where[link.claim_b][0],
            y2=where[link.claim_b][1],
            stroke=CONFLICT_COLOURS[link.kind],
            dash=CONFLICT_DASHES[link.kind],
            label=link.label,
        )
        for link in links
        if link.claim_a in where and link.claim_b in where
    )
    axis_y = len(rows) * LANE_HEIGHT + 8
    superseded = sum(1 for c in claims if c.superseded)
    description = (
        f"{_plural(len(claims), 'claim')} from {_plural(len(rows), 'source')}, "
        f"{_span(scale.start, scale.end)}, one row per source. "
        "Filled circle: affirms; cross: denies; diamond: no information; "
        "triangle: declines to say; square: position. "
        + (
            f"{_plural(superseded, 'claim')} superseded by a later statement of the same "
            "source, drawn hollow and faded. "
            if superseded
            else ""
        )
        + (
            f"{_plural(len(lines), 'open conflict')}, each a line joining its two claims. "
            if lines
            else "No open conflict. "
        )
        + "Each mark links to its claim; the table after the chart lists the same claims."
    )
    return Timeline(
        width=WIDTH,
        height=axis_y + 34,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        axis_y=axis_y,
        lanes=tuple(rows),
        marks=tuple(marks),
        lines=lines,
        ticks=_ticks(scale),
        description=description,
    )


# The range chart --------------------------------------------------------


def range_chart(
    claims: Sequence[ChartClaim], lanes: Sequence[Lane], topic: rules.TopicRules
) -> RangeChart | None:
    """Draw each source's asserted interval over time, on the topic's quantity axis.

    The dates span all `claims` (so the chart lines up with the timeline of
    the same claims); only fact claims on the topic itself, not on one
    detainee, are drawn. Return None when the topic counts nothing or no
    such claim exists.
    """
    scale = date_scale(c.on for c in claims)
    counted = [c for c in claims if c.facts.kind == rules.FACT and c.facts.detainee_id is None]
    if not topic.has_quantity or scale is None or not counted:
        return None

    values = {c.id: rules.value_of(c.facts, topic) for c in counted}
    low = topic.quantity_min
    finite = [v for value in values.values() if value for pair in value for v in pair]
    finite = [v for v in finite if v != math.inf]
    high = (
        topic.quantity_max
        if topic.quantity_max is not None
        else _nice_ceil(max([*finite, low + 1]) * 1.2)
    )
    if high <= low:
        high = low + 1
    plot_top, axis_y = RANGE_TOP, RANGE_TOP + RANGE_PLOT_HEIGHT

    def y(value: float) -> float:
        value = min(max(value, low), high)
        return _r(axis_y - (value - low) / (high - low) * RANGE_PLOT_HEIGHT)

    drawn_lanes = [lane for lane in lanes if any(c.lane == lane.key for c in counted)]
    number = {lane.key: i + 1 for i, lane in enumerate(drawn_lanes)}
    gap = min(SOURCE_OFFSET, SOURCE_SPAN / max(1, len(drawn_lanes)))
    source_dx = {
        lane.key: (i - (len(drawn_lanes) - 1) / 2) * gap for i, lane in enumerate(drawn_lanes)
    }
    same_day = _dodge(counted, lambda c: (c.lane, c.on))

    marks = []
    for claim in counted:
        x = _r(scale.x(claim.on) + source_dx[claim.lane] + same_day[claim.id] / 2)
        value = values[claim.id]
        bars, caps, unknown, key_y = [], [], "", axis_y - 12
        if value is None:
            unknown = shape_path("diamond", x, axis_y, 6)
            key_y = axis_y - 14
        else:
            tops = []
            for lo, hi in value:
                top, bottom = y(hi), y(lo)
                is_range = hi != lo and bottom - top >= BAR_MIN_HEIGHT
                cap = ""
                if is_range:
                    left, right = _n(x - CAP_WIDTH / 2), _n(x + CAP_WIDTH / 2)
                    cap = f"M{left} {_n(bottom)}H{right}"
                    if hi != math.inf:
                        cap = f"M{left} {_n(top)}H{right}" + cap
                caps.append(cap)
                if bottom - top < BAR_MIN_HEIGHT:
                    middle = (top + bottom) / 2
                    top, bottom = middle - BAR_MIN_HEIGHT / 2, middle + BAR_MIN_HEIGHT / 2
                path = (
                    f"M{_n(x - BAR_WIDTH / 2)} {_n(top)}H{_n(x + BAR_WIDTH / 2)}"
                    f"V{_n(bottom)}H{_n(x - BAR_WIDTH / 2)}Z"
                )
                if hi == math.inf:  # no upper bound: an arrow past the top
                    path += f"M{_n(x - 6)} {_n(top)}L{_n(x)} {_n(top - 8)}L{_n(x + 6)} {_n(top)}Z"
                    top -= 8
                bars.append(path)
                tops.append(top)
            key_y = min(tops) - 5
        affirms = claim.stance == rules.AFFIRMS
        colour = STANCE_COLOURS[claim.stance]
        marks.append(
            RangeMark(
                claim_id=claim.id,
                stance=claim.stance,
                key=number[claim.lane],
                x=x,
                bars=tuple(bars),
                caps=tuple(caps),
                unknown=unknown,
                key_y=_r(key_y),
                # Affirmed intervals are filled; what a denial leaves open is hollow.
                fill=colour if affirms and not claim.superseded else PAPER,
                stroke=colour,
                dash="3 2" if claim.superseded else "",
                opacity=FADED if claim.superseded else 1.0,
                superseded=claim.superseded,
                label=claim.label,
            )
        )

    bound = "" if topic.quantity_max is None else f"; the topic counts up to {topic.quantity_max}"
    unknowns = sum(1 for v in values.values() if v is None)
    description = (
        f"What {_plural(len(counted), 'claim')} from {_plural(len(drawn_lanes), 'source')} "
        f"say the count is, {_span(scale.start, scale.end)}{bound}. Each bar runs from the "
        "lowest to the highest number a claim allows: a range, such as “some of 53” drawn from "
        "1 to 53, has a cap at each end and a light fill, and says the count is somewhere "
        "between them, not at the top; a single number is a short solid block. Filled bars "
        "affirm; hollow bars are what a denial leaves open; dashed, faded bars are superseded. "
        + (
            f"{_plural(unknowns, 'claim')} of no information, drawn as diamonds on the date axis. "
            if unknowns
            else ""
        )
        + "Each bar links to its claim; the table after the timeline lists the same claims."
    )
    return RangeChart(
        width=WIDTH,
        height=axis_y + 34,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=plot_top,
        axis_y=axis_y,
        bound_y=None if topic.quantity_max is None else y(topic.quantity_max),
        marks=tuple(marks),
        date_ticks=_ticks(scale),
        value_ticks=tuple(
            ValueTick(y=y(v), label=f"{v:,.0f}" if v == int(v) else f"{v:g}")
            for v in value_ticks(low, high, MAX_TICKS)
        ),
        keys=tuple((number[lane.key], lane.label) for lane in drawn_lanes),
        description=description,
    )


# A detainee's latest status per source ----------------------------------


def latest_statuses(claims: Sequence[ChartClaim]) -> list[StatusCell]:
    """Return each source's latest fact claim, marked with the sources it disagrees with.

    "Latest" is the source's most recent statement (later `stated_on`, then
    later `as_of`), whatever topic it was made under: a status is about the
    person. Two latest statuses disagree as the conflict rules say two values
    conflict: disjoint statuses are a contradiction, a status against "no
    information" a gap. Unlike detection, dates are not compared: these are
    the answers each source gives today, and their dates are shown beside them.
    """
    latest: dict[int, ChartClaim] = {}
    for claim in claims:
        if claim.facts.kind != rules.FACT:
            continue
        known = latest.get(claim.lane)
        if known is None or (claim.facts.recency, claim.id) > (known.facts.recency, known.id):
            latest[claim.lane] = claim
    no_quantity = rules.TopicRules()
    values = {lane: rules.value_of(c.facts, no_quantity) for lane, c in latest.items()}
    cells = []
    for lane, claim in latest.items():
        disagreements = []
        if not rules.is_compared(claim.facts):  # A refusal to say disagrees with no one.
            cells.append(StatusCell(claim.id, lane, ()))
            continue
        for other, other_value in values.items():
            if other == lane or not rules.is_compared(latest[other].facts):
                continue
            kind = rules.compare_values(values[lane], other_value)
            if kind is not None:
                disagreements.append((other, kind.value))
        cells.append(StatusCell(claim.id, lane, tuple(disagreements)))
    return cells
