"""The step form's HTML: what is fixed per (step, language) rendered once, the rest per visit.

Labels, help, formula text, options, links and translated words of a step never change
between visits, yet rendering them through Jinja and WTForms widgets was most of the
page's cost. They are rendered once per (catalog, step, language, URL root) into a
skeleton with slots; each visit fills only the slots (values, findings, results, files,
tokens). The widget HTML around each value is produced by the step's own WTForms form
class, so the markup is exactly what the form would render.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, get_template_attribute, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms.widgets import html_params

from forms.builder import field_name, kpi_field_prefix, result_field_name
from intake.cache import RenderedPages
from intake.i18n import current_language
from intake.services.origins import choices as origin_choices
from intake.wizard.helpers import format_number

# Slot markers: control characters that catalog text, translations and URLs do not carry
# (a skeleton with any other slot is refused when built); user data is only ever inserted
# after the skeleton is split, so it is never read for markers.
_OPEN, _SEP, _CLOSE = "\x1e", "\x1f", "\x1d"
_SLOTS = frozenset({"city", "intro", "status", "notice", "conflict", "summary", "csrf",
                    "version", "resume",
                    "class", "option", "input", "last_year", "messages", "na", "why",
                    "computed", "tier", "source", "year", "provenance", "files", "direct",
                    "direct_note", "origin", "data_origin"})
_VALUE = "\x1c"  # stands for a value inside a widget's HTML while it is split
_PARTS = "wizard/_step_parts.html"
# Steps × languages actually visited; beyond this the least recently used is rebuilt.
MAX_SKELETONS = 512
_BOOL_FALSE = ("false", "")  # wtforms.BooleanField.false_values (as posted text)


def slot(*key: Any) -> Markup:
    return Markup(_OPEN + _SEP.join(str(k) for k in key) + _CLOSE)


class _Split:
    """A widget's HTML around its value: before + escape(value) + after."""

    __slots__ = ("after", "before")

    def __init__(self, html: str):
        self.before, found, self.after = str(html).partition(_VALUE)
        if not found or _VALUE in self.after:
            raise ValueError("widget HTML without exactly one value")

    def __call__(self, value: Any) -> str:
        # str.join keeps the result plain text: Markup + str would escape the widget HTML.
        return "".join((self.before, escape(value), self.after))


def _text_value(formdata: Mapping, name: str) -> str:
    # StringField/TextAreaField/HiddenField: the first posted value, else "".
    value = formdata.get(name)
    return "" if value is None else str(value)


@dataclass
class _Widgets:
    """Per data point and KPI: how to render each field for any posted value."""

    value: dict[str, tuple[_Split, _Split]]  # text inputs: (aria-invalid false, true)
    options: dict[str, list[tuple[str, str, str]]]  # radios: (value, unchecked, checked)
    na: dict[str, tuple[_Split, _Split]]  # (unchecked, checked)
    why: dict[str, _Split]
    tier: dict[str, tuple[dict[str, str], str]]  # (html per selected value, none selected)
    data_origin: dict[str, tuple[dict[str, str], str]]  # per data point, as `tier`
    source: dict[str, _Split]
    year: dict[str, tuple[_Split, _Split]]
    version: _Split
    resume: _Split


def _build_widgets(step, form_class, lang: str) -> _Widgets:
    form = form_class(formdata=MultiDict())

    def split(field, **kwargs) -> _Split:
        field.data = _VALUE
        field.raw_data = [_VALUE]
        return _Split(field(**kwargs))

    widgets = _Widgets({}, {}, {}, {}, {}, {}, {}, {}, split(form.version),
                       split(form.resume))
    for dp in step.data_points:
        name = field_name(dp.id)
        field = form[name]
        if dp.type == "boolean":
            options = []
            for value in [option._value() for option in field]:
                field.data = value
                checked = next(str(o()) for o in field if o._value() == value)
                field.data = None
                unchecked = next(str(o()) for o in field if o._value() == value)
                options.append((value, unchecked, checked))
            widgets.options[dp.id] = options
        else:
            # Help, unit and findings are read with the field, in that order.
            described = " ".join(([name + "-help"] if dp.help.get(lang) else [])
                                 + [name + "-unit", name + "-msg"])
            widgets.value[dp.id] = tuple(
                split(field, id=name, class_="value-input", dir="ltr", aria_invalid=invalid,
                      aria_describedby=described) for invalid in ("false", "true"))
        na = form[name + "__na"]
        pair = []
        for checked in (False, True):
            na.data = checked
            na.raw_data = [_VALUE]
            pair.append(_Split(na(class_="na-toggle")))
        widgets.na[dp.id] = tuple(pair)
        widgets.why[dp.id] = split(form[name + "__why"], id=name + "__why")
        widgets.data_origin[dp.id] = _select_by_value(form[name + "__origin"],
                                                      name + "__origin")
    for kpi in step.kpis:
        prefix = kpi_field_prefix(kpi.code)
        widgets.tier[kpi.code] = _select_by_value(form[prefix + "__tier"], prefix + "__tier")
        widgets.source[kpi.code] = split(
            form[prefix + "__source"], id=prefix + "__source",
            placeholder=get_template_attribute(_PARTS, "source_placeholder")())
        widgets.year[kpi.code] = tuple(
            split(form[prefix + "__year"], id=prefix + "__year", class_="year-input", dir="ltr",
                  aria_invalid=invalid, aria_describedby=prefix + "__year-msg")
            for invalid in ("false", "true"))
    return widgets


def _select_by_value(select, field_id: str) -> tuple[dict[str, str], str]:
    """A select's HTML for each chosen value, and with none chosen."""
    by_value = {}
    for choice in select.iter_choices():
        select.data = choice.value
        by_value[choice.value] = str(select(id=field_id))
    select.data = None
    return by_value, str(select(id=field_id))


@dataclass
class Skeleton:
    catalog: Any
    parts: list[str | tuple[str, ...]]  # the content block: static HTML, or a slot key
    widgets: _Widgets
    title: Markup
    nav: Markup
    scripts: Markup


@dataclass(frozen=True)
class StepPage:
    """What wizard/step.html puts into the blocks of base.html."""

    title: Markup
    nav: Markup
    content: Markup
    scripts: Markup


def _parse(html: str) -> list[str | tuple[str, ...]]:
    parts: list[str | tuple[str, ...]] = []
    rest = html
    while True:
        head, found, rest = rest.partition(_OPEN)
        parts.append(head)
        if not found:
            return parts
        key, closed, rest = rest.partition(_CLOSE)
        if not closed or key.split(_SEP)[0] not in _SLOTS:
            raise ValueError("a step skeleton holds a stray slot marker (control character)")
        parts.append(tuple(key.split(_SEP)))


def _cache() -> RenderedPages:
    # Kept on the app: tests build many apps, each with its own configuration.
    return current_app.extensions.setdefault("intake.wizard.skeletons",
                                             RenderedPages(maxsize=MAX_SKELETONS))


def skeleton(catalog: Any, step, category, steps, lang: str, form_class) -> Skeleton:
    """The step's fixed HTML for this catalog, language and URL root (built on first use)."""
    key = (id(catalog), step.key, lang, request.script_root, form_class)
    found = _cache().get(key)
    if found is not None and found.catalog is catalog:
        return found
    html = render_template("wizard/_step_content.html", step=step, steps=steps,
                           category=category, lang=lang, field_name=field_name,
                           kpi_prefix=kpi_field_prefix, slot=slot,
                           form=form_class(formdata=MultiDict()))
    built = Skeleton(catalog, _parse(html), _build_widgets(step, form_class, lang),
                     title=get_template_attribute(_PARTS, "step_title")(category, step, steps,
                                                                          lang),
                     nav=Markup(render_template("wizard/_nav.html")),
                     scripts=get_template_attribute(_PARTS, "scripts")())
    if current_app.jinja_env.auto_reload:
        return built  # templates may change under a developer: never keep a stale copy
    _cache().put(key, built)
    return built


@lru_cache(maxsize=8)
def _hidden_input(name: str) -> _Split:
    # As wtforms' HiddenInput renders FlaskForm's token field.
    return _Split(Markup("<input %s>") % Markup(html_params(id=name, name=name,
                                                            type="hidden", value=_VALUE)))


def _csrf_field() -> str:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return ""  # FlaskForm has no token field then
    return _hidden_input(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))(generate_csrf())


def render_step_page(sk: Skeleton, step, formdata: Mapping, *, city_name: str, status: str,
                     notice, conflict, labels: Callable[[], Mapping], version: int,
                     resume: str, findings: Mapping, provenance_findings: Mapping, unjustified,
                     computed: Mapping, files: Mapping, last_year: Mapping,
                     intro: str = "", lang: str = "en",
                     origins: Mapping | None = None, failed_save: bool = False) -> StepPage:
    """Fill a skeleton's slots for this visit.

    After a failed save an error summary leads the page, linking to each field to correct,
    and takes the focus (autofocus: without JavaScript too).
    """
    widgets = sk.widgets
    macros: dict[str, Callable] = {}

    def macro(name: str) -> Callable:
        if name not in macros:
            macros[name] = get_template_attribute(_PARTS, name)
        return macros[name]

    values: dict[tuple[str, ...], str] = {
        ("city",): escape(city_name),
        ("intro",): intro,  # HTML rendered by the view (intake/wizard/hints.py)
        ("status",): macro("status_complete")() if status == "complete" else "",
        ("notice",): macro("notice_box")(notice) if notice else "",
        ("conflict",): macro("conflict_box")(conflict, labels()) if conflict is not None else "",
        ("csrf",): _csrf_field(),
        ("version",): widgets.version(str(version)),
        ("resume",): widgets.resume(resume or ""),
    }

    lang = current_language()
    to_correct: list[tuple[str, str, Any]] = []  # (field id, label, finding or None)
    for dp in step.data_points:
        name = field_name(dp.id)
        found = findings.get(dp.id, [])
        has_error = any(m.tier == "error" for m in found)
        if has_error:
            first = next(m for m in found if m.tier == "error")
            target = name + "-0" if dp.type == "boolean" else name
            to_correct.append((target, dp.label.get(lang), first))
        elif dp.id in unjustified:
            to_correct.append((name + "__why", dp.label.get(lang), None))
        has_warning = any(m.tier == "warning" for m in found)
        values[("class", dp.id)] = (" field-error" if has_error
                                    else " field-warning" if has_warning else "")
        if dp.type == "boolean":
            chosen = formdata.get(name)
            for index, (value, unchecked, checked) in enumerate(widgets.options[dp.id]):
                values[("option", dp.id, str(index))] = checked if chosen == value else unchecked
        else:
            values[("input", dp.id)] = widgets.value[dp.id][has_error](
                _text_value(formdata, name))
        origin = (origins or {}).get(dp.id)
        values[("origin", dp.id)] = macro("origin")(origin) if origin else ""
        last = last_year.get(dp.id)
        values[("last_year", dp.id)] = "" if last is None else macro("last_year")(last)
        flagged = dp.id in unjustified
        values[("messages", dp.id)] = (macro("messages")(name, found, flagged)
                                       if found or flagged else "")
        raw_na = formdata.get(name + "__na")
        na_checked = raw_na is not None and raw_na not in _BOOL_FALSE
        by_value, unselected = widgets.data_origin[dp.id]
        values[("data_origin", dp.id)] = by_value.get(formdata.get(name + "__origin") or "",
                                                      unselected)
        values[("na", dp.id)] = widgets.na[dp.id][na_checked](
            "y" if raw_na is None else raw_na)
        why = formdata.get(name + "__why")
        values[("why", dp.id)] = (macro("why")(name, Markup(widgets.why[dp.id](why or "")))
                                  if has_warning or why else "")
    for kpi in step.kpis:
        prefix = kpi_field_prefix(kpi.code)
        # item id → (value that counts, reported directly?, computed from raw inputs)
        results = computed.get(kpi.code, {})
        raw_shown = []
        for item in kpi.items:
            value, direct, raw = results.get(item.id, (None, False, None))
            values[("computed", kpi.code, item.id)] = macro("counted_value")(value, direct, raw)
            if direct:
                raw_shown.append(format_number(raw) if len(kpi.items) == 1 else
                                 f"{item.label.get(lang)} {format_number(raw)}")
        values[("direct_note", kpi.code)] = (macro("direct_note")("; ".join(raw_shown))
                                             if raw_shown else "")
        raw_ticked = formdata.get(prefix + "__direct")
        ticked = raw_ticked is not None and raw_ticked not in _BOOL_FALSE
        rows = []
        for item in kpi.items:
            name = result_field_name(item.id)
            found = findings.get(item.result_key, [])
            rows.append({
                "name": name, "text": _text_value(formdata, name),
                "why": _text_value(formdata, name + "__why"),
                "label": item.label.get(lang) if item.part else kpi.name.get(lang),
                "unit": item.unit.get(lang) if item.value_type != "percent" else "%",
                "boolean": item.value_type == "boolean", "found": found,
                "flagged": item.result_key in unjustified,
                "origin": _text_value(formdata, name + "__origin"),
                "has_error": any(m.tier == "error" for m in found),
                "has_warning": any(m.tier == "warning" for m in found)})
        values[("direct", kpi.code)] = macro("direct_result")(kpi, prefix, ticked, rows, lang,
                                                              origin_choices())
        by_value, unselected = widgets.tier[kpi.code]
        tier = formdata.get(prefix + "__tier")
        values[("tier", kpi.code)] = by_value.get(tier, unselected) if tier is not None else (
            unselected)
        values[("source", kpi.code)] = widgets.source[kpi.code](
            _text_value(formdata, prefix + "__source"))
        prov_found = provenance_findings.get(kpi.code, [])
        values[("year", kpi.code)] = widgets.year[kpi.code][bool(prov_found)](
            _text_value(formdata, prefix + "__year"))
        values[("provenance", kpi.code)] = (macro("provenance_messages")(prov_found)
                                            if prov_found else "")
        if prov_found:
            to_correct.append((prefix + "__year", kpi.name.get(lang), prov_found[0]))
        kpi_files = files.get(kpi.code)
        values[("files", kpi.code)] = macro("file_list")(kpi_files) if kpi_files else ""
    if failed_save and to_correct:
        # The notice ("saved as a draft") opens the summary: one alert, not two.
        values[("summary",)] = macro("error_summary")(to_correct, notice)
        values[("notice",)] = ""
    else:
        values[("summary",)] = ""
    out = [part if isinstance(part, str) else values[part] for part in sk.parts]
    return StepPage(sk.title, sk.nav, Markup("".join(out)), sk.scripts)
