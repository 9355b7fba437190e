"""Figures as cities hold them: staff in full-time equivalents, a share typed as a count."""

from __future__ import annotations

from forms.catalog.loading import load_catalog
from forms.fields import PERCENT_OF_TOTAL, parse_value, read_count
from forms.rules import RuleContext, check_value


def test_staff_counts_take_full_time_equivalents():
    catalog = load_catalog()
    for dp_id in ("police", "firefighters", "physicians"):
        point = catalog.data_point(dp_id)
        assert point.fte and point.type == "count"
        assert check_value(point, 212.5, RuleContext()) == []
    # Other counts stay whole.
    households = catalog.data_point("hh_total")
    assert [m.id for m in check_value(households, 212.5, RuleContext())] == ["not_whole"]


def test_a_percentage_is_never_taken_as_a_count():
    refused = parse_value("count", "95 %")
    assert refused.value is None and refused.error.id == "percent_in_count"
    assert parse_value("count", "95٪").error.id == "percent_in_count"
    # A percent field still reads it as the share it is.
    assert parse_value("percent", "95 %").value == 95


def test_with_the_total_known_the_share_is_offered_converted_and_taken_when_chosen():
    offered = read_count("95 %", total=40_000, total_label="Total households")
    assert offered.value is None and offered.error.id == "percent_in_count_total"
    assert offered.error.params["converted"] == 38_000
    assert "38000" in offered.error.render() or "38000.0" in offered.error.render()
    assert read_count("95 %", meant=PERCENT_OF_TOTAL, total=40_000).value == 38_000
    # A share above 100 % of the total is no share of it: nothing is offered.
    assert read_count("140 %", total=40_000).error.id == "percent_in_count"
    assert read_count("38 000", total=40_000).value == 38_000


def test_kpis_checked_against_the_manual_cite_its_pages():
    catalog = load_catalog()
    cited = {kpi.code: kpi.manual_urls for kpi in catalog.kpis if kpi.manual_pages}
    assert len(cited) >= 20
    # The two corrected against the 2022 manual: CAIDI (p. 76) and a Sustainable KPI (p. 79).
    assert cited["EC: I: ES: 2C"][0].endswith("/page76.html")
    assert catalog.kpi("EC: I: ES: 2C").unit.get("en") == "minutes per interruption"
    assert cited["EC: I: T: 2A"][0].endswith("/page79.html")
    assert catalog.kpi("EC: I: T: 2A").kind == "sustainable"
    assert all(url.startswith("https://www.itu.int/en/publications/Documents/tsb/2022-U4SSC-"
                              "KPIs-Verification-Manual") for urls in cited.values()
               for url in urls)
    # The manual's types: 20 smart, 31 structural, 40 sustainable (the brochure's 20/32/39
    # no longer adds up since EC: I: T: 2A is Sustainable).
    kinds = [kpi.kind for kpi in catalog.kpis]
    assert (kinds.count("smart"), kinds.count("structural"), kinds.count("sustainable")) == (
        20, 31, 40)


# KPIs whose page of the 2022 Verification Manual could not be read in the stored copy of its
# public pages: searched by KPI name and code and by the wording of its sheet, the stored copy
# gave only the sheets already cited (and pages 15 and 163, which are not KPI sheets). Listed,
# never skipped silently: a KPI cited later must leave this list, or the test below fails.
MANUAL_PAGE_KNOWN_GAPS = frozenset({
    "EC: ICT: ICT: 3C", "EC: ICT: ICT: 4C", "EC: ICT: ICT: 5C", "EC: ICT: WS: 1C",
    "EC: ICT: WS: 2A", "EC: ICT: ES: 3A", "EC: ICT: PS: 3A", "EC: P: IN: 2C", "EC: P: EM: 2C",
    "EC: P: EM: 3A", "EC: P: EM: 4A", "EC: I: WS: 1C", "EC: I: WS: 3C", "EC: I: WS: 4C",
    "EC: I: WA: 1C", "EC: I: ES: 1C", "EC: I: ES: 3C", "EC: I: T: 1C", "EC: I: T: 3C",
    "EC: I: T: 4A", "EC: I: T: 5A", "EC: I: T: 6A", "EC: I: T: 7A", "EC: I: T: 8A",
    "EC: I: B: 1A", "EC: I: UP: 1A", "EC: I: UP: 2A", "EN: EN: AQ: 2C", "EN: EN: WS: 1C",
    "EN: EN: WS: 2C", "EN: EN: WS: 3C", "EN: EN: WS: 4C", "EN: EN: WA: 1C", "EN: EN: EQ: 1C",
    "EN: EN: EQ: 2A", "EN: EN: PSN: 1C", "EN: EN: PSN: 2A", "EN: EN: PSN: 3A", "EN: EN: PSN: 4A",
    "EN: E: E: 1C", "EN: E: E: 2C", "EN: E: E: 3C", "EN: E: E: 4A", "SC: EH: ED: 2C",
    "SC: EH: ED: 3C", "SC: EH: ED: 4C", "SC: EH: ED: 5A", "SC: EH: H: 1C", "SC: EH: H: 2C",
    "SC: EH: H: 3C", "SC: EH: H: 4A", "SC: EH: H: 5A", "SC: EH: C: 1C", "SC: EH: C: 2A",
    "SC: SH: HO: 1C", "SC: SH: HO: 2A", "SC: SH: SI: 1C", "SC: SH: SI: 2C", "SC: SH: SI: 3C",
    "SC: SH: SI: 4C", "SC: SH: SI: 5A", "SC: SH: SA: 1C", "SC: SH: SA: 2C", "SC: SH: SA: 3A",
    "SC: SH: SA: 4A", "SC: SH: SA: 5A", "SC: SH: SA: 6C", "SC: SH: SA: 7C", "SC: SH: SA: 8C",
    "SC: SH: SA: 9C", "SC: SH: FS: 1A",
})


def test_every_kpi_cites_its_manual_page_or_is_a_listed_gap():
    catalog = load_catalog()
    uncited = {kpi.code for kpi in catalog.kpis if not kpi.manual_pages}
    assert uncited == MANUAL_PAGE_KNOWN_GAPS
    assert len(MANUAL_PAGE_KNOWN_GAPS) == 71  # of 91: 20 cited
    for kpi in catalog.kpis:
        assert list(kpi.manual_pages) == sorted(set(kpi.manual_pages))
        assert all(15 < page < 163 for page in kpi.manual_pages)  # the KPI sheets
