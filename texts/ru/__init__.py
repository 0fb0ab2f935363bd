"""Russian texts (the default language), one module per area of the bot; ``RU`` is all of them."""

from texts.ru import charts, cli, common, family, office, reports, roster, teacher

RU: dict[str, str] = {
    **reports.TEXTS,
    **roster.TEXTS,
    **cli.TEXTS,
    **office.TEXTS,
    **teacher.TEXTS,
    **family.TEXTS,
    **charts.TEXTS,
    **common.TEXTS,
}
