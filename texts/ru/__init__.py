"""Russian texts (the default language), one module per area of the bot; ``RU`` is all of them."""

from texts.ru import (
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

RU: dict[str, str] = {
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
