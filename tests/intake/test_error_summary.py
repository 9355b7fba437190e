"""After a refused save, the step leads with an error summary that links to each field."""

from __future__ import annotations

import re

from tests.intake.test_wizard import ICT, city, open_workspace, post_step  # noqa: F401


def test_refused_save_leads_with_a_focused_summary_linking_each_field(app, client, city):  # noqa: F811
    open_workspace(client, city)
    response = post_step(client, ICT, 0, {"dp_hh_total": "lots", "dp_pop": "many"})
    assert response.status_code == 422
    page = response.text
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary
    assert 'href="#dp_hh_total"' in summary and 'href="#dp_pop"' in summary
    assert "“lots” is not a number" in summary
    assert "saved as a draft" in summary  # the notice is part of the one alert
    assert page.index("error-summary") < page.index('<form method="post"')
    assert page.count('role="alert"') == 1


def test_summary_only_after_a_refused_save(app, client, city):  # noqa: F811
    open_workspace(client, city)
    post_step(client, ICT, 0, {"dp_hh_total": "lots"}, action="save")
    page = client.get(f"/w/c/{ICT}/0").text
    assert 'aria-invalid="true"' in page and "error-summary" not in page


def test_help_unit_and_findings_describe_the_input(app, client, city):  # noqa: F811
    open_workspace(client, city)
    page = post_step(client, ICT, 0, {"dp_hh_total": "lots"}).text
    described = re.search(r'<input[^>]*id="dp_hh_total"[^>]*>', page).group(0)
    ids = re.search(r'aria-describedby="([^"]+)"', described).group(1).split()
    assert ids == ["dp_hh_total-help", "dp_hh_total-unit", "dp_hh_total-msg"]
    for id_ in ids:
        assert f'id="{id_}"' in page
    message = re.search(r'<div id="dp_hh_total-msg"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "is not a number" in message


def test_the_reference_year_error_is_tied_to_its_field(app, client, city):  # noqa: F811
    open_workspace(client, city)
    page = post_step(client, ICT, 1, {"dp_hh_internet": "30000",
                                      "kpi_ec_ict_ict_1c__year": "20x4"}).text
    year = re.search(r'<input[^>]*id="kpi_ec_ict_ict_1c__year"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in year
    assert 'aria-describedby="kpi_ec_ict_ict_1c__year-msg"' in year
    message = re.search(r'<div id="kpi_ec_ict_ict_1c__year-msg">(.*?)</div>', page, re.S)
    assert message and 'class="error"' in message.group(1)
    assert 'href="#kpi_ec_ict_ict_1c__year"' in page  # and the summary links to it
