"""English texts, one module per area of the bot; ``EN`` is all of them."""

from texts.en import (
    announce,
    charts,
    cli,
    common,
    family,
    office,
    reports,
    roster,
    schedule,
    teacher,
)

EN: dict[str, str] = {
    **announce.TEXTS,
    **reports.TEXTS,
    **roster.TEXTS,
    **cli.TEXTS,
    **office.TEXTS,
    **schedule.TEXTS,
    **teacher.TEXTS,
    **family.TEXTS,
    **charts.TEXTS,
    **common.TEXTS,
}
