"""The monthly statement for a parent who opted out of the electronic diary (R18): a
printed sheet per pupil with the month's lessons by subject as on a paper journal page
(marks, absences, lateness per school day), the plain and the weighted average per
subject, the absences by reason, and the lessons with marks or absences in detail
(topic, work type). The class teacher prints it and hands it over at least monthly.

The data comes from ``core.reports`` (class teacher or overseers only)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from core.access import Actor
from core.journal import Journal
from core.models import AbsenceReason, Presence
from core.reports import (
    PupilStatement,
    StatementLesson,
    month_bounds,
    opted_out_statements,
    pupil_statement,
    report_scope,
)
from reports import SANS, SANS_BOLD, day_text, decimal_text, file_name, register_fonts
from texts import Texts

PAGE = landscape(A4)  # the month's grid needs the width
MARGIN = 12 * mm
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD = colors.Color(0.9, 0.9, 0.9)
NO_LESSON = colors.Color(0.93, 0.93, 0.93)  # a day without this subject


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=SANS, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "school": ParagraphStyle("school", parent=base, fontSize=8.5, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", parent=base, fontName=SANS_BOLD, fontSize=13, leading=16, alignment=TA_CENTER
        ),
        "h2": ParagraphStyle("h2", parent=base, fontName=SANS_BOLD, fontSize=10, leading=13),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", parent=base, fontName=SANS_BOLD, fontSize=7, leading=8.5),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _marks_text(lesson: StatementLesson) -> str:
    return ", ".join(f"{m.value} ({m.work_type.lower()})" for m in lesson.marks)


def _presence(tx: Texts, lesson: StatementLesson) -> str:
    if lesson.status == Presence.ABSENT:
        reason = lesson.reason or AbsenceReason.UNCONFIRMED
        return f"{tx('status.absent')} — {tx(f'reason.{reason}')}"
    if lesson.status == Presence.LATE:
        return tx("status.late")
    return ""


def _grid_cell(tx: Texts, lessons: list[StatementLesson]) -> str:
    """A subject's day as on a paper journal page: the marks, «Н» for an absence, «оп»
    for lateness."""
    parts: list[str] = []
    for lesson in lessons:
        parts += [str(m.value) for m in lesson.marks]
        if lesson.status == Presence.ABSENT:
            parts.append(tx("status.absent"))
        elif lesson.status == Presence.LATE:
            parts.append(tx("statement.late_short"))
    return " ".join(parts)


def _fit_header(text: str, style: ParagraphStyle) -> float:
    """A column as wide as the header's longest word (headers wrap between words only)."""
    longest = max(stringWidth(w, style.fontName, style.fontSize) for w in text.split())
    return max(13 * mm, longest + 2 * 6 + 2)  # the cell pads 6 points each side


def _grid(tx: Texts, css: dict[str, ParagraphStyle], st: PupilStatement, width: float) -> Table:
    """A row per subject, a column per school day; the lessons held are white, the days
    without the subject grey; then lessons, absences, lateness and the averages."""
    days = sorted({x.date for subject in st.subjects for x in subject.lessons})
    head = css["head"]
    stats = [
        tx("statement.col.lessons"),
        tx("statement.col.missed"),
        tx("report.col.late"),
        tx("report.col.average"),
        tx("report.col.weighted"),
    ]
    rows: list[list[object]] = [
        [
            _p(tx("report.col.subject"), head),
            *(f"{d:%d}" for d in days),
            *(_p(x, head) for x in stats),
        ]
    ]
    held: list[tuple[int, int]] = []
    for r, subject in enumerate(st.subjects, start=1):
        per_day: dict[date, list[StatementLesson]] = {}
        for lesson in subject.lessons:
            per_day.setdefault(lesson.date, []).append(lesson)
        held += [(1 + days.index(d), r) for d in per_day]
        a = subject.attendance
        rows.append(
            [
                _p(subject.subject, css["cell"]),
                *(_grid_cell(tx, per_day.get(d, [])) for d in days),
                a.lessons,
                a.missed or "",
                a.late or "",
                decimal_text(subject.average, tx.lang),
                decimal_text(subject.weighted_average, tx.lang),
            ]
        )
    total = st.attendance
    rows.append(
        [
            _p(tx("report.total"), head),
            *("" for _ in days),
            total.lessons,
            total.missed or "",
            total.late or "",
            "",
            "",
        ]
    )
    name_w = 40 * mm
    stat_w = [_fit_header(x, head) for x in stats]
    day_w = min(9 * mm, (width - name_w - sum(stat_w)) / max(len(days), 1))
    grid = Table(
        rows, colWidths=[name_w, *([day_w] * len(days)), *stat_w], repeatRows=1, hAlign="LEFT"
    )
    last_day = len(days)
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), SANS, 7.5),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 7),
        ("FONT", (0, -1), (-1, -1), SANS_BOLD, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if days and st.subjects:
        style += [
            ("BACKGROUND", (1, 1), (last_day, len(st.subjects)), NO_LESSON),
            ("LEFTPADDING", (1, 0), (last_day, -1), 1),
            ("RIGHTPADDING", (1, 0), (last_day, -1), 1),
        ]
        style += [("BACKGROUND", cell, cell, colors.white) for cell in held]
    grid.setStyle(TableStyle(style))
    return grid


def _details(
    tx: Texts, css: dict[str, ParagraphStyle], st: PupilStatement, width: float
) -> Table | None:
    """The lessons with a mark, an absence or lateness: date, subject, topic, marks with
    their work types, attendance with the reason."""
    events = sorted(
        (
            (lesson, subject.subject)
            for subject in st.subjects
            for lesson in subject.lessons
            if lesson.marks or lesson.status in (Presence.ABSENT, Presence.LATE)
        ),
        key=lambda x: (x[0].date, x[0].lesson_no, x[1]),
    )
    if not events:
        return None
    head = css["head"]
    rows: list[list[object]] = [
        [
            _p(tx("report.col.date"), head),
            _p(tx("report.col.subject"), head),
            _p(tx("report.col.topic"), head),
            _p(tx("report.col.marks"), head),
            _p(tx("statement.col.attendance"), head),
        ]
    ]
    for lesson, subject in events:
        rows.append(
            [
                f"{lesson.date:%d.%m}",
                _p(subject, css["cell"]),
                _p(lesson.topic or "", css["cell"]),
                _p(_marks_text(lesson), css["cell"]),
                _p(_presence(tx, lesson), css["cell"]),
            ]
        )
    table = Table(
        rows,
        colWidths=[w * width for w in (0.06, 0.17, 0.39, 0.2, 0.18)],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def statement_story(st: PupilStatement, lang: str = "ru") -> list[Flowable]:
    """One pupil's statement as flowables (usually one landscape page)."""
    tx = Texts(lang)
    css = _styles()
    width = PAGE[0] - 2 * MARGIN
    month = tx("report.month_year", month=tx(f"report.month.{st.start.month}"), year=st.start.year)
    a = st.attendance
    story: list[Flowable] = [
        _p(st.school, css["school"]),
        Spacer(1, 1.5 * mm),
        _p(tx("statement.title", month=month), css["title"]),
        Spacer(1, 2 * mm),
        _p(tx("statement.pupil", name=st.full_name, cls=st.class_name), css["base"]),
        _p(tx("statement.period", start=day_text(st.start), end=day_text(st.end)), css["base"]),
        Spacer(1, 2.5 * mm),
    ]
    if st.subjects:
        story += [_grid(tx, css, st, width), Spacer(1, 1 * mm)]
        story.append(_p(tx("statement.legend"), css["small"]))
    else:
        story.append(_p(tx("statement.no_lessons"), css["base"]))
    story += [
        Spacer(1, 2 * mm),
        _p(
            tx(
                "statement.absences",
                missed=a.missed,
                excused=a.excused,
                unexcused=a.unexcused,
                unconfirmed=a.unconfirmed,
                late=a.late,
            ),
            css["base"],
        ),
        _p(tx("statement.weighted_note"), css["small"]),
    ]
    details = _details(tx, css, st, width)
    if details is not None:
        story += [Spacer(1, 3 * mm), _p(tx("statement.details"), css["h2"]), details]
    story += [
        Spacer(1, 6 * mm),
        KeepTogether(
            [
                _p(tx("statement.class_teacher", name=st.class_teacher or "_" * 24), css["base"]),
                Spacer(1, 3 * mm),
                _p(tx("statement.issued", day=day_text(st.issued_on)), css["base"]),
                Spacer(1, 3 * mm),
                _p(tx("statement.received"), css["base"]),
            ]
        ),
    ]
    return story


def statements_pdf(statements: Sequence[PupilStatement], lang: str = "ru") -> bytes:
    """The statements, each pupil's starting on a new page."""
    register_fonts()
    tx = Texts(lang)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=tx("statement.doc_title"),
        creator="school-journal-bot",
    )
    story: list[Flowable] = []
    for n, st in enumerate(statements):
        if n:
            story.append(PageBreak())
        story += statement_story(st, lang)
    if not statements:
        story.append(_p(tx("statement.none"), _styles()["base"]))
    doc.build(story)
    return buffer.getvalue()


async def statement_pdf(
    journal: Journal, actor: Actor, pupil_id: int, month: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R18: one pupil's statement for the month, (file name, bytes)."""
    st = await pupil_statement(journal, actor, pupil_id, month)
    data = await asyncio.to_thread(statements_pdf, [st], lang)
    tx = Texts(lang)
    name = tx("statement.file", who=st.full_name, month=f"{st.start:%Y-%m}")
    return file_name(name, "pdf"), data


async def class_statements_pdf(
    journal: Journal, actor: Actor, class_id: int, month: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R18: the month's statements of every pupil of the class whose parent opted out of
    the electronic diary, one after another (each from a new page)."""
    statements = await opted_out_statements(journal, actor, class_id, month)
    scope = await report_scope(journal, actor, class_id)
    data = await asyncio.to_thread(statements_pdf, statements, lang)
    tx = Texts(lang)
    start, _ = month_bounds(month)
    (cls,) = scope.classes  # named even when empty: no two classes share a file
    name = tx("statement.file", who=cls, month=f"{start:%Y-%m}")
    return file_name(name, "pdf"), data
