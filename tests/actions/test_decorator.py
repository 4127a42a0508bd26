"""@action: actions declared from typed Python functions and their Google-style docstrings."""

# No `from __future__ import annotations` here: on Python 3.11 it hides NotRequired[...] inside
# TypedDicts from the interpreter itself, which is not what these tests are about.
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, Optional, TypedDict

import pytest

from copilot_runtime.actions import Action, ActionContext, ActionDefinitionError, Parameter, action


class Geo(TypedDict):
    lat: float
    lng: float
    accuracy: NotRequired[float]


class Address(TypedDict):
    street: str
    zip: str | None
    geo: Geo
    kind: NotRequired[Literal["home", "work"]]


class Customer(TypedDict):
    name: str
    address: Address
    tags: list[str]


GEO = (
    Parameter(name="lat", type="number"),
    Parameter(name="lng", type="number"),
    Parameter(name="accuracy", type="number", required=False),
)
ADDRESS = (
    Parameter(name="street"),
    Parameter(name="zip", required=False),
    Parameter(name="geo", type="object", attributes=GEO),
    Parameter(name="kind", enum=("home", "work"), required=False),
)
CUSTOMER = (
    Parameter(name="name"),
    Parameter(name="address", type="object", attributes=ADDRESS),
    Parameter(name="tags", type="string[]"),
)


def declared_with_hint(hint: Any) -> Action:
    def handler(value: Any) -> None:
        return None

    handler.__annotations__ = {"value": hint, "return": None}
    return action(handler)


# --- names and descriptions ---------------------------------------------------------------


def test_action_uses_function_name_and_docstring_when_used_bare() -> None:
    @action
    def fetch_name_for_user_id(user_id: str) -> dict[str, str]:
        """Fetches user name from the database for a given ID.

        Args:
            user_id: The ID of the user to fetch data for.
        """
        return {"name": "Darth Doe"}

    assert isinstance(fetch_name_for_user_id, Action)
    assert fetch_name_for_user_id.name == "fetch_name_for_user_id"
    assert fetch_name_for_user_id.description == (
        "Fetches user name from the database for a given ID."
    )
    assert fetch_name_for_user_id.parameters == (
        Parameter(name="user_id", description="The ID of the user to fetch data for."),
    )


def test_action_uses_function_name_when_called_with_empty_parentheses() -> None:
    @action()
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert (ping.name, ping.description, ping.parameters) == ("ping", "Answer pong.", ())


def test_action_uses_given_name_and_description_when_passed_as_arguments() -> None:
    @action(name="fetchNameForUserId", description="Fetches a user's name.")
    def fetch(user_id: str) -> str:
        """Ignored summary."""
        return user_id

    assert (fetch.name, fetch.description) == ("fetchNameForUserId", "Fetches a user's name.")


def test_action_uses_empty_description_when_given_empty_string() -> None:
    @action(description="")
    def ping() -> str:
        """Docstring that should not be used."""
        return "pong"

    assert ping.description == ""


def test_action_has_empty_description_when_function_has_no_docstring() -> None:
    @action
    def ping() -> str:
        return "pong"

    assert ping.description == ""


def test_action_keeps_every_paragraph_before_sections_when_docstring_is_long() -> None:
    @action
    def search(query: str, limit: int = 10) -> list[str]:
        """Search the catalogue.

        Use it when the user asks for products by name or by feature.

        Args:
            query (str): Words to look for. Matches
                product names and
                descriptions.
            limit: At most this many results.

        Returns:
            The matching product names.

        Raises:
            ValueError: never, really.
        """
        return []

    assert search.description == (
        "Search the catalogue.\n\nUse it when the user asks for products by name or by feature."
    )
    assert search.parameters == (
        Parameter(
            name="query",
            description="Words to look for. Matches product names and descriptions.",
        ),
        Parameter(
            name="limit",
            type="number",
            description="At most this many results.",
            required=False,
        ),
    )


def test_action_keeps_continuation_line_when_it_looks_like_an_argument() -> None:
    @action
    def schedule(when: str, note: str) -> None:
        """Schedule a meeting.

        Args:
            when: The start time.
                Format: ISO 8601, e.g. 2024-01-31T10:00.
            note: Free text.
        """

    assert [p.description for p in schedule.parameters] == [
        "The start time. Format: ISO 8601, e.g. 2024-01-31T10:00.",
        "Free text.",
    ]


def test_action_leaves_description_empty_when_argument_is_not_documented() -> None:
    @action
    def move(x: int, y: int) -> None:
        """Move the cursor.

        Args:
            x: Column.
        """

    assert [p.description for p in move.parameters] == ["Column.", ""]


def test_action_reads_args_when_section_is_named_arguments_or_parameters() -> None:
    @action
    def one(a: str) -> None:
        """One.

        Arguments:
            a: First letter.
        """

    @action
    def two(b: str) -> None:
        """Two.

        Parameters:
            b: Second letter.
        """

    assert one.parameters[0].description == "First letter."
    assert two.parameters[0].description == "Second letter."


# --- type hints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "type_"),
    [
        (str, "string"),
        (int, "number"),
        (float, "number"),
        (bool, "boolean"),
        (dict, "object"),
        (dict[str, Any], "object"),
        (dict[str, int], "object"),
        (list[str], "string[]"),
        (list[int], "number[]"),
        (list[float], "number[]"),
        (list[bool], "boolean[]"),
        (list[dict[str, Any]], "object[]"),
        (tuple[str, ...], "string[]"),
        (Sequence[int], "number[]"),
    ],
)
def test_action_maps_hint_to_copilotkit_type_when_hint_is_supported(hint: Any, type_: str) -> None:
    declared = declared_with_hint(hint)

    assert declared.parameters == (Parameter(name="value", type=type_),)  # type: ignore[arg-type]


def test_action_declares_string_when_argument_has_no_hint() -> None:
    def handler(value):  # type: ignore[no-untyped-def]  # the missing hint is the point
        return value

    assert action(handler).parameters == (Parameter(name="value"),)


def test_action_declares_enum_when_hint_is_literal_of_strings() -> None:
    @action
    def paint(color: Literal["red", "blue"]) -> None:
        """Paint."""

    assert paint.parameters == (Parameter(name="color", enum=("red", "blue")),)


def test_action_declares_string_list_with_enum_when_hint_is_list_of_literal() -> None:
    @action
    def paint(colors: list[Literal["red", "blue"]]) -> None:
        """Paint."""

    assert paint.parameters == (Parameter(name="colors", type="string[]", enum=("red", "blue")),)


def test_action_declares_nested_attributes_when_hint_is_typeddict_three_levels_deep() -> None:
    @action
    def save_customer(customer: Customer) -> None:
        """Save."""

    assert save_customer.parameters == (
        Parameter(name="customer", type="object", attributes=CUSTOMER),
    )


def test_action_declares_object_list_when_hint_is_list_of_typeddict() -> None:
    @action
    def save_all(customers: list[Customer]) -> None:
        """Save."""

    assert save_all.parameters == (
        Parameter(name="customers", type="object[]", attributes=CUSTOMER),
    )


def test_action_declares_optional_when_hint_admits_none() -> None:
    @action
    def search(
        query: str,
        page: int | None,
        size: Optional[int],  # noqa: UP045  # the spelling many users still write
    ) -> None:
        """Search."""

    assert search.parameters == (
        Parameter(name="query"),
        Parameter(name="page", type="number", required=False),
        Parameter(name="size", type="number", required=False),
    )


def test_action_declares_optional_when_argument_has_a_default() -> None:
    @action
    def search(query: str, exact: bool = False, sort: Literal["asc", "desc"] | None = None) -> None:
        """Search."""

    assert search.parameters == (
        Parameter(name="query"),
        Parameter(name="exact", type="boolean", required=False),
        Parameter(name="sort", enum=("asc", "desc"), required=False),
    )


def test_action_gives_copilotkit_schema_when_function_is_typed() -> None:
    from copilot_runtime.actions import parameters_json_schema

    @action
    def book(city: str, nights: int, guests: list[str], breakfast: bool = False) -> None:
        """Book a hotel.

        Args:
            city: Where to stay.
            nights: How many nights.
        """

    assert parameters_json_schema(book.parameters) == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "Where to stay."},
            "nights": {"type": "number", "description": "How many nights."},
            "guests": {"type": "array", "items": {"type": "string"}},
            "breakfast": {"type": "boolean"},
        },
        "required": ["city", "nights", "guests"],
    }


def test_action_skips_variadic_arguments_when_declaring_parameters() -> None:
    @action
    def log(message: str, *args: str, **kwargs: str) -> None:
        """Log."""

    assert log.parameters == (Parameter(name="message"),)


# --- context ------------------------------------------------------------------------------


def test_action_skips_context_from_parameters_when_function_takes_context() -> None:
    @action
    def whoami(context: ActionContext, greeting: str) -> str:
        """Greet the current user."""
        return greeting

    assert whoami.parameters == (Parameter(name="greeting"),)
    assert whoami.wants_context is True


def test_action_does_not_want_context_when_function_has_no_context_argument() -> None:
    @action
    def ping() -> str:
        return "pong"

    assert ping.wants_context is False


# --- calling the decorated action ---------------------------------------------------------


def test_action_stays_callable_when_function_is_sync() -> None:
    @action
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    assert add(2, 3) == 5
    assert add(a=2, b=3) == 5


async def test_action_stays_awaitable_when_function_is_async() -> None:
    @action
    async def fetch_name_for_user_id(user_id: str) -> dict[str, str]:
        """Fetch."""
        return {"name": "Darth Doe", "id": user_id}

    assert await fetch_name_for_user_id(user_id="42") == {"name": "Darth Doe", "id": "42"}


# --- definition errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "hint",
    [
        bytes,
        set[str],
        object,
        int | str,
        Literal[1, 2],
        list[list[int]],
        tuple[int, str],
        list,
        ActionContext,
    ],
)
def test_action_raises_definition_error_naming_parameter_when_hint_is_unsupported(
    hint: Any,
) -> None:
    with pytest.raises(ActionDefinitionError) as caught:
        declared_with_hint(hint)

    assert caught.value.action_name == "handler"
    assert "'value'" in caught.value.problem


def test_action_raises_definition_error_when_hint_cannot_be_resolved() -> None:
    def handler(value: str) -> None:
        return None

    handler.__annotations__ = {"value": "NoSuchType"}

    with pytest.raises(ActionDefinitionError, match="type hints cannot be read") as caught:
        action(handler)

    assert caught.value.action_name == "handler"


def test_action_raises_definition_error_when_argument_is_positional_only() -> None:
    def divide(a: int, /, b: int) -> float:
        return a / b

    with pytest.raises(ActionDefinitionError, match="positional-only") as caught:
        action(divide)

    assert caught.value.action_name == "divide"
    assert "'a'" in caught.value.problem


def test_action_raises_definition_error_when_function_name_is_not_an_action_name() -> None:
    with pytest.raises(ActionDefinitionError, match="name must match"):
        action(lambda query: query)


def test_action_raises_definition_error_when_given_name_breaks_the_rule() -> None:
    decorate = action(name="fetch user")

    def fetch(user_id: str) -> str:
        return user_id

    with pytest.raises(ActionDefinitionError, match="name must match"):
        decorate(fetch)
