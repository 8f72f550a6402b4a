"""Task forms rendered on the server from JSON Schema plus an optional rjsf-style UI schema.

Process designers write one schema per user task (``formJsonSchemaFilename``, as SpiffArena does)
and the same file drives the REST API's validation, so the counter page must not need a
JavaScript form library: it renders plain, accessible HTML that works with a keyboard and on a
phone, and parses the submitted strings back into the types the schema expects.

Field names are the property keys, nested as ``parent.child``, the names engine/forms.py reports
validation errors under, so a failed validation lands under the right field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from engine.views import ordered_properties
from web.i18n import gettext

ID_PREFIX = "field-"

# Checkbox values that mean "ticked"; "on" is what a browser sends for a checkbox without value.
_TRUE_WORDS = frozenset({"true", "on", "1", "yes"})

_Choices = list[tuple[Any, str]]


def render_form(
    schema: dict[str, Any],
    ui_schema: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Markup:
    """Render the fields of an object schema (not the ``<form>`` tag, the caller owns that).

    ``values`` is the case data (or the parsed submission when re-showing a form with errors);
    ``errors`` maps field names to messages, with ``""`` for an error about the form as a whole.
    The first field with an error gets ``autofocus`` (else the first field), so after a failed
    submit the keyboard lands where the clerk has to act.
    """
    ui = ui_schema or {}
    focusable = list(_focusable_names(schema, ui, ""))
    focus = next((n for n in focusable if _has_error(n, errors)), None)
    if focus is None and focusable:
        focus = focusable[0]
    renderer = _Renderer(errors, focus)
    parts = []
    if errors.get(""):
        parts.append(Markup('<p class="form-error" role="alert">{}</p>').format(errors[""]))
    parts.extend(renderer.properties(schema, ui, values, ""))
    return Markup("\n").join(parts)


def parse_form(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """Turn submitted strings into the schema's types, ready for server-side validation.

    Empty fields are omitted so that ``required`` reports them; an unparsable number is kept as
    the string the clerk typed so that validation names the problem instead of losing the input.
    Unticked checkboxes are not submitted by browsers, hence a missing boolean means ``False``.
    """
    return _parse_object(schema, form, "")


class _Renderer:
    """Carries the errors and the autofocus target through the recursive rendering."""

    def __init__(self, errors: Mapping[str, str], focus: str | None) -> None:
        self.errors = errors
        self.focus = focus

    def properties(
        self, schema: Mapping[str, Any], ui: Mapping[str, Any], values: Any, prefix: str
    ) -> list[Markup]:
        values = values if isinstance(values, Mapping) else {}
        required = set(schema.get("required") or ())
        parts = []
        for key, sub in ordered_properties(schema, ui):
            sub_ui = ui.get(key) if isinstance(ui.get(key), Mapping) else {}
            value = values[key] if key in values else sub.get("default")
            parts.append(self.field(prefix + key, sub, sub_ui, value, key in required))
        return parts

    def field(
        self,
        name: str,
        schema: Mapping[str, Any],
        ui: Mapping[str, Any],
        value: Any,
        required: bool,
    ) -> Markup:
        kind = _kind(name, schema, ui)
        if kind == "hidden":
            return Markup('<input type="hidden"{}>').format(
                _attrs({"name": name, "value": _to_text(value)})
            )
        if kind == "object":
            return self.fieldset(name, schema, ui, value, required)

        field_id = _field_id(name)
        error = self.errors.get(name)
        help_text = schema.get("description")
        described_by = " ".join(
            f"{field_id}-{part}"
            for part, present in (("error", error), ("help", help_text))
            if present
        )
        common = {
            "name": name,
            "aria-invalid": "true" if error else None,
            "aria-describedby": described_by or None,
        }
        title = _title(name, schema)
        tail = _help_and_error(field_id, help_text, error)
        classes = f"form-field form-field-{kind}" + (" has-error" if error else "")

        if kind in ("radio", "checkboxes"):
            control = self.choice_group(kind, field_id, schema, value, common, name)
            return Markup(
                '<fieldset class="{}" id="{}"><legend>{}{}</legend>{}{}</fieldset>'
            ).format(classes, field_id, title, _required_mark(required), control, tail)

        common |= {"id": field_id, "autofocus": name == self.focus}
        if kind == "checkbox":
            control = Markup('<input type="checkbox" value="true"{}>').format(
                _attrs(common | {"checked": value is True})
            )
            return Markup('<div class="{}">{}<label for="{}">{}</label>{}</div>').format(
                classes, control, field_id, title, tail
            )

        common["aria-required"] = "true" if required else None
        control = _control(kind, schema, value, common)
        return Markup('<div class="{}"><label for="{}">{}{}</label>{}{}</div>').format(
            classes, field_id, title, _required_mark(required), control, tail
        )

    def fieldset(
        self,
        name: str,
        schema: Mapping[str, Any],
        ui: Mapping[str, Any],
        value: Any,
        required: bool,
    ) -> Markup:
        field_id = _field_id(name)
        error = self.errors.get(name)
        children = Markup("").join(self.properties(schema, ui, value, name + "."))
        return Markup('<fieldset class="{}" id="{}"><legend>{}{}</legend>{}{}</fieldset>').format(
            "form-section" + (" has-error" if error else ""),
            field_id,
            _title(name, schema),
            _required_mark(required),
            _help_and_error(field_id, schema.get("description"), error),
            children,
        )

    def choice_group(
        self,
        kind: str,
        field_id: str,
        schema: Mapping[str, Any],
        value: Any,
        common: dict[str, Any],
        name: str,
    ) -> Markup:
        if kind == "checkboxes":
            input_type, choices = "checkbox", _choices(schema.get("items") or {}) or []
            selected = {_to_text(v) for v in value} if isinstance(value, list) else set()
        else:
            input_type, choices = "radio", _choices(schema) or []
            selected = {_to_text(value)}
        texts = [_to_text(option) for option, _label in choices]
        # Focus the ticked radio when there is one: that is where Tab would land in the group.
        focus_index = next((i for i, t in enumerate(texts) if t in selected), 0)
        items = []
        for index, (text, (_option, label)) in enumerate(zip(texts, choices, strict=True)):
            option_id = f"{field_id}-{index}"
            attrs = common | {
                "type": input_type,
                "id": option_id,
                "value": text,
                "checked": text in selected,
                "autofocus": index == focus_index and name == self.focus,
            }
            items.append(
                Markup('<label class="choice" for="{}"><input{}> {}</label>').format(
                    option_id, _attrs(attrs), label
                )
            )
        return Markup('<div class="choice-list">{}</div>').format(Markup("").join(items))


def _control(kind: str, schema: Mapping[str, Any], value: Any, attrs: dict[str, Any]) -> Markup:
    """The single input element of a labelled field."""
    if kind == "select":
        current = _to_text(value)
        options = [Markup('<option value="">{}</option>').format(gettext("请选择"))]
        for option, label in _choices(schema) or []:
            text = _to_text(option)
            options.append(
                Markup("<option{}>{}</option>").format(
                    _attrs({"value": text, "selected": text == current}), label
                )
            )
        return Markup("<select{}>{}</select>").format(_attrs(attrs), Markup("").join(options))
    if kind in ("textarea", "lines"):
        text = "\n".join(map(_to_text, value)) if isinstance(value, list) else _to_text(value)
        attrs = attrs | {"rows": 4, "maxlength": schema.get("maxLength")}
        # A newline right after <textarea> is swallowed by HTML parsers; keep the value intact.
        return Markup("<textarea{}>\n{}</textarea>").format(_attrs(attrs), text)
    if kind == "number":
        if schema.get("multipleOf") is not None:
            step: Any = schema["multipleOf"]
        else:
            step = 1 if _type(schema) == "integer" else "any"
        attrs = attrs | {
            "type": "number",
            "step": step,
            "min": schema.get("minimum"),
            "max": schema.get("maximum"),
            "value": _to_text(value),
        }
        return Markup("<input{}>").format(_attrs(attrs))
    input_type = "date" if kind == "date" else "text"
    attrs = attrs | {
        "type": input_type,
        "value": _to_text(value),
        "maxlength": schema.get("maxLength"),
    }
    return Markup("<input{}>").format(_attrs(attrs))


def _kind(name: str, schema: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    """Which widget a field gets: the UI schema decides where it can, the schema otherwise."""
    widget = ui.get("ui:widget")
    if widget == "hidden":
        return "hidden"
    field_type = _type(schema)
    if field_type == "object":
        return "object"
    if field_type == "array":
        return "checkboxes" if _choices(schema.get("items") or {}) else "lines"
    if field_type == "boolean":
        return "checkbox"
    if _choices(schema) is not None:
        if widget in ("radio", "select"):
            return widget
        # Decisions are radios: arrow keys choose, and all outcomes are visible at once.
        return "radio" if name.rsplit(".", 1)[-1] == "decision" else "select"
    if field_type in ("integer", "number"):
        return "number"
    if widget == "textarea":
        return "textarea"
    return "date" if schema.get("format") == "date" else "text"


def _type(schema: Mapping[str, Any]) -> str:
    """The field's JSON type: ``["string", "null"]`` is a string; a missing type is inferred."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared:
        return declared
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _choices(schema: Mapping[str, Any]) -> _Choices | None:
    """Options from ``enum`` or from a ``oneOf``/``anyOf`` of ``const`` + ``title``; else None."""
    if "enum" in schema:
        return [(v, _to_text(v)) for v in schema["enum"] if v is not None]
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives and all(isinstance(a, Mapping) and "const" in a for a in alternatives):
        return [
            (a["const"], str(a.get("title", _to_text(a["const"]))))
            for a in alternatives
            if a["const"] is not None
        ]
    return None


def _focusable_names(
    schema: Mapping[str, Any], ui: Mapping[str, Any], prefix: str
) -> Iterable[str]:
    """Visible field names in rendering order, to pick the autofocus target up front."""
    for key, sub in ordered_properties(schema, ui):
        sub_ui = ui.get(key) if isinstance(ui.get(key), Mapping) else {}
        name = prefix + key
        kind = _kind(name, sub, sub_ui)
        if kind == "object":
            yield from _focusable_names(sub, sub_ui, name + ".")
        elif kind != "hidden":
            yield name


def _has_error(name: str, errors: Mapping[str, str]) -> bool:
    """A field is in error if it or an enclosing object (e.g. a missing required object) is."""
    parts = name.split(".")
    return any(errors.get(".".join(parts[:i])) for i in range(1, len(parts) + 1))


def _parse_object(schema: Mapping[str, Any], form: MultiDict[str, str], prefix: str) -> dict:
    data: dict[str, Any] = {}
    for key, sub in (schema.get("properties") or {}).items():
        name = prefix + key
        field_type = _type(sub)
        if field_type == "object":
            value: Any = _parse_object(sub, form, name + ".")
        elif field_type == "boolean":
            value = (form.get(name) or "").strip().lower() in _TRUE_WORDS
        elif field_type == "array":
            value = _parse_array(sub, form.getlist(name))
        else:
            raw = (form.get(name) or "").replace("\r\n", "\n").strip()
            value = _parse_scalar(sub, raw) if raw else None
        if value is not None and value != {} and value != []:
            data[key] = value
    return data


def _parse_array(schema: Mapping[str, Any], raws: list[str]) -> list[Any]:
    """Checkbox groups submit one value per ticked box; free lists come one item per line."""
    items = schema.get("items") or {}
    if _choices(items) is None:
        raws = [line for raw in raws for line in raw.splitlines()]
    return [_parse_scalar(items, raw) for raw in (r.strip() for r in raws) if raw]


def _parse_scalar(schema: Mapping[str, Any], raw: str) -> Any:
    """Map an option's text back to its typed value, else parse numbers, else keep the text."""
    for option, _label in _choices(schema) or ():
        if _to_text(option) == raw:
            return option
    field_type = _type(schema)
    if field_type in ("integer", "number"):
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            number = float(raw)
        except ValueError:
            return raw
        if not math.isfinite(number):
            return raw
        if field_type == "integer":
            return int(number) if number.is_integer() else raw
        return number
    return raw


def _attrs(attrs: Mapping[str, Any]) -> Markup:
    """HTML attributes: None/False are left out, True is a bare attribute, values are escaped."""
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(Markup(" {}").format(key))
        else:
            parts.append(Markup(' {}="{}"').format(key, value))
    return Markup("").join(parts)


def _help_and_error(field_id: str, help_text: str | None, error: str | None) -> Markup:
    parts = []
    if help_text:
        parts.append(
            Markup('<p class="field-help" id="{}-help">{}</p>').format(field_id, help_text)
        )
    if error:
        parts.append(Markup('<p class="field-error" id="{}-error">{}</p>').format(field_id, error))
    return Markup("").join(parts)


def _required_mark(required: bool) -> Markup:
    """A visible star plus words for screen readers, which would read "star" otherwise."""
    if not required:
        return Markup("")
    return Markup(
        '<span class="required-mark"><span aria-hidden="true">*</span>'
        '<span class="visually-hidden">{}</span></span>'
    ).format(gettext("（必填）"))


def _title(name: str, schema: Mapping[str, Any]) -> str:
    return str(schema.get("title") or name.rsplit(".", 1)[-1])


def _field_id(name: str) -> str:
    return ID_PREFIX + name.replace(".", "-")


def _to_text(value: Any) -> str:
    """The form representation of a value: JSON's true/false, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
