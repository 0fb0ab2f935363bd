"""English texts, one module per area of the bot; ``EN`` is all of them."""

from texts.en import charts, cli, common, family, office, reports, roster, teacher

EN: dict[str, str] = {
    **reports.TEXTS,
    **roster.TEXTS,
    **cli.TEXTS,
    **office.TEXTS,
    **teacher.TEXTS,
    **family.TEXTS,
    **charts.TEXTS,
    **common.TEXTS,
}
