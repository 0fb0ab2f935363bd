"""Realistic Russian full names ("Surname Given Patronymic") with correct gender agreement.

Everything is driven by an injected ``random.Random``, so the same seed always yields the
same names. :class:`NameGenerator` also keeps every name it has handed out unique, which
is what a school roster needs: references between sheets use full names.
"""

from __future__ import annotations

import random

# Male forms; the female form is derived by ``feminine_surname``.
SURNAMES: tuple[str, ...] = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
    "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
    "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
    "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
    "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
    "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
    "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев",
    "Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров",
    "Калинин", "Исаев", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин",
    "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов",
    "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков",
    "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин",
    "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев",
    "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Галкин", "Лукьянов",
    "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов", "Харитонов", "Князев",
    "Цветков", "Левин", "Воронцов", "Мальцев", "Логинов", "Горшков", "Савин", "Краснов",
    "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников", "Жданов", "Островский",
    "Вишневский", "Никольский", "Белецкий", "Высоцкий", "Ковальчук", "Шевченко", "Черных",
    "Бондаренко", "Кравчук", "Седых",
)  # fmt: skip

# Fathers, male staff and male guardians (born roughly 1965-1998).
ADULT_MALE: tuple[str, ...] = (
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Вадим", "Валерий", "Василий",
    "Виктор", "Виталий", "Владимир", "Владислав", "Вячеслав", "Геннадий", "Георгий", "Денис",
    "Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Леонид",
    "Максим", "Михаил", "Никита", "Николай", "Олег", "Павел", "Роман", "Руслан", "Сергей",
    "Станислав", "Степан", "Тимур", "Фёдор", "Юрий", "Ярослав",
)  # fmt: skip

ADULT_FEMALE: tuple[str, ...] = (
    "Алёна", "Анастасия", "Анна", "Валентина", "Валерия", "Вера", "Виктория", "Галина",
    "Дарья", "Евгения", "Екатерина", "Елена", "Елизавета", "Жанна", "Инна", "Ирина",
    "Кристина", "Ксения", "Лариса", "Любовь", "Людмила", "Маргарита", "Марина", "Мария",
    "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина", "Светлана", "Софья", "Татьяна",
    "Юлия", "Яна",
)  # fmt: skip

# Grandfathers: the source of the adults' patronymics.
GRANDFATHERS: tuple[str, ...] = (
    "Александр", "Алексей", "Анатолий", "Андрей", "Аркадий", "Борис", "Валентин", "Валерий",
    "Василий", "Виктор", "Владимир", "Вячеслав", "Геннадий", "Георгий", "Григорий", "Дмитрий",
    "Евгений", "Иван", "Игорь", "Илья", "Константин", "Лев", "Леонид", "Михаил", "Николай",
    "Олег", "Павел", "Пётр", "Семён", "Сергей", "Степан", "Фёдор", "Эдуард", "Юрий",
)  # fmt: skip

CHILD_MALE: tuple[str, ...] = (
    "Александр", "Алексей", "Андрей", "Арсений", "Артём", "Богдан", "Владимир", "Всеволод",
    "Глеб", "Георгий", "Давид", "Даниил", "Денис", "Дмитрий", "Егор", "Захар", "Иван", "Илья",
    "Кирилл", "Константин", "Лев", "Макар", "Максим", "Марк", "Матвей", "Мирон", "Михаил",
    "Никита", "Николай", "Платон", "Роман", "Савелий", "Семён", "Сергей", "Степан",
    "Тимофей", "Тимур", "Фёдор", "Ярослав", "Вадим",
)  # fmt: skip

CHILD_FEMALE: tuple[str, ...] = (
    "Агата", "Александра", "Алёна", "Алиса", "Алина", "Амелия", "Ангелина", "Анастасия",
    "Анна", "Арина", "Валерия", "Варвара", "Василиса", "Вера", "Вероника", "Виктория",
    "Дарья", "Диана", "Ева", "Екатерина", "Елизавета", "Есения", "Злата", "Зоя", "Кира",
    "Ксения", "Майя", "Маргарита", "Мария", "Милана", "Мирослава", "Надежда", "Ольга",
    "Полина", "Софья", "Стефания", "Таисия", "Ульяна", "Эвелина", "Ярослава",
)  # fmt: skip

_VOWELS = frozenset("аеёиоуыэюя")

# Given names whose patronymics do not follow the regular rules.
_PATRONYMIC_EXCEPTIONS: dict[str, tuple[str, str]] = {
    "Илья": ("Ильич", "Ильинична"),
    "Никита": ("Никитич", "Никитична"),
    "Кузьма": ("Кузьмич", "Кузьминична"),
    "Фома": ("Фомич", "Фоминична"),
    "Лев": ("Львович", "Львовна"),
    "Павел": ("Павлович", "Павловна"),
    "Пётр": ("Петрович", "Петровна"),
    "Михаил": ("Михайлович", "Михайловна"),
    "Яков": ("Яковлевич", "Яковлевна"),
}


def feminine_surname(surname: str) -> str:
    """The female form of a (male-form) surname: Иванов → Иванова, Островский → Островская.

    Surnames such as Шевченко, Ковальчук or Черных do not change.
    """
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


def patronymics(father: str) -> tuple[str, str]:
    """The (son's, daughter's) patronymic from a father's given name.

    Сергей → Сергеевич/Сергеевна, Юрий → Юрьевич/Юрьевна, Дмитрий → Дмитриевич/Дмитриевна,
    Игорь → Игоревич/Игоревна, Иван → Иванович/Ивановна, Илья → Ильич/Ильинична.
    """
    if father in _PATRONYMIC_EXCEPTIONS:
        return _PATRONYMIC_EXCEPTIONS[father]
    if father.endswith("ий"):
        stem = father[:-2].lower()
        # Two consonants before -ий keep the "и" (Дмитриевич), one softens it (Юрьевич).
        if len(stem) >= 2 and stem[-1] not in _VOWELS and stem[-2] not in _VOWELS:
            stem = father[:-2]
            return stem + "иевич", stem + "иевна"
        stem = father[:-2]
        return stem + "ьевич", stem + "ьевна"
    if father.endswith(("ей", "ай", "ь")):
        stem = father[:-1]
        return stem + "евич", stem + "евна"
    if father[-1] in _VOWELS:
        raise ValueError(f"no regular patronymic for {father!r}")
    return father + "ович", father + "овна"


_FEMININE: dict[str, str] = {s: feminine_surname(s) for s in SURNAMES}
_PATRONYMICS: dict[str, tuple[str, str]] = {
    name: patronymics(name) for name in (*ADULT_MALE, *GRANDFATHERS)
}
_MAX_ATTEMPTS = 2000


class NameGenerator:
    """Hands out unique full names, "Surname Given Patronymic", in gender agreement.

    ``surname`` (male form) and ``father`` (a name from ``ADULT_MALE`` or ``GRANDFATHERS``)
    pin a family: siblings share them. If a pinned combination is exhausted, the pins
    are dropped (first the father, then the surname) rather than repeating a name.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def __contains__(self, full_name: object) -> bool:
        return full_name in self._used

    def __len__(self) -> int:
        return len(self._used)

    def claim(self, full_name: str) -> bool:
        """Reserve a name built elsewhere; False if it is already taken."""
        if full_name in self._used:
            return False
        self._used.add(full_name)
        return True

    def surname(self) -> str:
        return self._rng.choice(SURNAMES)

    def father(self) -> str:
        """A given name for a father of school-age children."""
        return self._rng.choice(ADULT_MALE)

    def person(
        self,
        *,
        female: bool,
        adult: bool,
        surname: str | None = None,
        father: str | None = None,
    ) -> str:
        rng = self._rng
        if adult:
            given_pool = ADULT_FEMALE if female else ADULT_MALE
            fathers = GRANDFATHERS
        else:
            given_pool = CHILD_FEMALE if female else CHILD_MALE
            fathers = ADULT_MALE
        for attempt in range(_MAX_ATTEMPTS):
            s = surname if surname is not None and attempt < 60 else rng.choice(SURNAMES)
            f = father if father is not None and attempt < 30 else rng.choice(fathers)
            given = rng.choice(given_pool)
            if not adult and not female and given == f and rng.random() < 0.9:
                continue  # "Иван Иванович" happens, but rarely
            full = f"{_FEMININE[s] if female else s} {given} {_PATRONYMICS[f][female]}"
            if full not in self._used:
                self._used.add(full)
                return full
        raise RuntimeError("the name space is exhausted; the school is too large")
