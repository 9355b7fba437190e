"""`flask demo load`: a demo city with a full, plausible data set, scored like a real one."""

from __future__ import annotations

import json

import click
from sqlalchemy import func, select

DEMO_NAME = "Demoville"
DEMO_POPULATION = 250_000
DEMO_ACTOR = "demo loader"

# A mid-sized city of 250 000 people in 110 000 households. Figures sit in the ranges
# cities report, spread so that every band appears; None marks "not available".
DEMO_VALUES: dict[str, float | bool | None] = {
    # shared figures
    "pop": 250_000, "hh_total": 110_000, "elec_cust": 126_000, "emp_total": 124_000,
    "city_gdp": 16_000_000_000, "pb_m2": 640_000, "city_area": 146,
    # ICT infrastructure
    "hh_internet": 99_000, "fbb_subs": 82_500, "wbb_subs": 212_000,
    "cov_3g": 249_000, "cov_4g": 242_500, "wifi_hotspots": 180,
    # water, drainage, electricity, transport and public sector ICT
    "sm_water": 21_000, "water_meters": 42_000, "ws_ict_km": 610, "ws_km": 1_050,
    "dr_ict_km": None, "dr_km": 720,
    "sm_elec": 118_000, "elec_meters": 126_000, "es_ict_km": 1_300, "es_km": 2_100,
    "dr_cust": 9_800,
    "pt_stops_dyn": 410, "pt_stops": 860, "ms_ict_km": 96, "ms_km": 310,
    "int_adapt": 74, "int_signal": 212,
    "od_pub": 146, "ds_total": 520, "egov_services": 64, "proc_online": 2_900,
    "proc_total": 3_400,
    # innovation and employment
    "rd_exp": 336_000_000, "patents": 52, "smes": 18_650, "ent_total": 18_800,
    "unemployed": 7_100, "labour_force": 131_000, "youth_unemp": 2_300, "youth_lf": 14_500,
    "tour_emp": 7_800, "ict_emp": 5_200,
    # infrastructure
    "hh_basic_water": 110_000, "hh_potable": 109_300, "w_supplied": 24_500_000,
    "w_consumed": 20_100_000, "hh_ww": 104_500, "hh_sanit": 109_600, "hh_swc": 110_000,
    "cust_interruptions": 88_000, "cust_int_duration": 6_300_000, "hh_elec": 110_000,
    "pt_km": 410, "pop_pt_05": 212_000, "bike_km": 118,
    "ms_private": 46, "ms_public": 27, "ms_walk": 18, "ms_cycle": 7, "ms_para": 2,
    "tt_peak": 34, "tt_free": 25, "shared_bikes": 1_200, "shared_veh": None,
    "lc_veh": 14_800, "veh_total": 118_000, "pb_cert_m2": 212_000, "pb_ict_m2": None,
    "ped_area": 1.9,
    "udsp_compact": True, "udsp_connected": True, "udsp_integrated": True,
    "udsp_inclusive": False, "udsp_resilient": True,
    # environment
    "pm25": 9.8, "pm10": 18.5, "no2": 21, "so2": 3.1, "o3": 58, "ghg_total": 1_050_000,
    "hh_wsp": 110_000, "w_total": 12_592_500_000, "w_fresh": 17_800_000,
    "w_cons": 20_100_000, "wwt_primary": 98, "wwt_secondary": 91, "wwt_tertiary": 38,
    "swt_landfill": 24, "swt_burnt": 0, "swt_incinerated": 31, "swt_open_dump": 0,
    "swt_recycled": 43, "swt_other": 2,
    "emf_ok": 402, "antenna_sites": 402, "pop_noise": 52_000, "green_ha": 310,
    "pop_green_access": 196_000, "prot_area": 17.5, "rec_m2": 880_000,
    "en_renew": 1_360_000_000, "en_total": 4_600_000_000, "elec_total": 1_600_000_000,
    "th_res": 2_900_000, "en_pb": 88_000_000,
    # education, health, culture
    "stud_ict": 29_500, "stud_total": 36_000, "pop_enrolled": 38_100,
    "pop_school_age": 38_800, "hed": 61_000, "adults_literate": 198_300, "adults": 200_200,
    "pop_ehr": None, "life_exp": 81.6, "mat_deaths": 1, "live_births": 2_450,
    "physicians": 1_020, "beds": 780, "pop_health_cov": 249_500,
    "cult_exp": 5_400_000, "budget_total": 1_350_000_000, "cult_inst": 38,
    # housing, social inclusion, safety, food
    "pop_informal": 0, "hh_housing_cost": 1_200_000_000, "hh_income": 4_400_000_000,
    "earn_f": 27.4, "earn_m": 31.2, "gini": 0.31, "pop_poor": 24_500,
    "voters": 91_000, "eligible": 192_000, "kids_daycare": 4_400, "kids_0_3": 9_600,
    "dis_deaths": 0, "dis_loss": 4_800_000, "resil_plan": True, "pop_hazard": 7_200,
    "resp_time": 9.5, "police": 560, "firefighters": 210, "violent_crimes": 1_150,
    "traffic_deaths": 8, "food_local": None, "food_total": 410_000,
}

# Where the figures come from: most measured, some from surveys or national data.
DEMO_QUALITY_BY_PREFIX = {
    "EC: ICT: ICT": "survey", "EC: P: EM": "survey", "SC: SH: SI": "survey",
    "EC: P: IN": "higher_level", "EN: EN: AQ: 2C": "assumption", "SC: SH: HO": "higher_level",
}


def demo_provenance(kpi_codes) -> dict[str, dict]:
    provenance = {}
    for code in kpi_codes:
        tier = next((tier for prefix, tier in DEMO_QUALITY_BY_PREFIX.items()
                     if code.startswith(prefix)), "accurate")
        provenance[code] = {"quality_tier": tier, "source": "Demoville statistics office",
                            "reference_year": 2025}
    return provenance


def find_demo_city():
    from intake.extensions import db
    from intake.models import City

    return db.session.execute(
        select(City).where(City.name == DEMO_NAME).order_by(City.id).limit(1)
    ).scalar_one_or_none()


def load_demo():
    """Create the demo city, store its data, complete every category (scoring follows)."""
    from intake.services.cities import create_city
    from intake.services.scoring import get_catalog
    from intake.services.values import mark_category_complete, set_city_values

    catalog = get_catalog()
    needed = {point.id for kpi in catalog.kpis for point in kpi.data_points}
    values = {point_id: value for point_id, value in DEMO_VALUES.items() if point_id in needed}
    city = create_city(name=DEMO_NAME, population=DEMO_POPULATION, economy="developed",
                       locale="en", focal_point_name="Dana Demo",
                       focal_point_email="focal.point@demoville.example",
                       vision="A compact, connected and green city for everyone by 2035.")
    set_city_values(city.id, values, actor=DEMO_ACTOR, reason="demo data set",
                    provenance=demo_provenance(kpi.code for kpi in catalog.kpis))
    for category in catalog.categories:
        mark_category_complete(city.id, category.id, actor=DEMO_ACTOR)
    return city


def snapshot_url(city) -> str:
    from flask import current_app

    from intake.services.links import workspace_token

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/snapshot/{workspace_token(city)}"


@click.group("demo")
def demo_group() -> None:
    """Demo data for a first look at the portal."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True,
              help="Only when the database has no city yet (safe to run on every start).")
def demo_load(if_empty: bool) -> None:
    """Create Demoville with a complete data set and print its snapshot link."""
    from intake.extensions import db
    from intake.models import City

    if if_empty and db.session.execute(select(func.count(City.id))).scalar_one() > 0:
        existing = find_demo_city()
        message = {"created": False, "reason": "the database already has cities"}
        if existing is not None:
            message["snapshot_url"] = snapshot_url(existing)
        click.echo(json.dumps(message, ensure_ascii=False))
        return
    city = load_demo()
    click.echo(json.dumps({"created": True, "city_id": city.id, "name": city.name,
                           "snapshot_url": snapshot_url(city)}, ensure_ascii=False))
