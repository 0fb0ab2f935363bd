"""English texts, one module per area of the bot; ``EN`` is all of them."""

from texts.en import cli, common, family, office, reports, roster, schedule, teacher

EN: dict[str, str] = {
    **reports.TEXTS,
    **roster.TEXTS,
    **cli.TEXTS,
    **office.TEXTS,
    **schedule.TEXTS,
    **teacher.TEXTS,
    **family.TEXTS,
    **common.TEXTS,
}
