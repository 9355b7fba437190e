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
    "cov_3g_area": None, "cov_4g_area": None,  # coverage known by inhabitants, not area
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


# Twelve fictional cities across population bands and economy types. Seven developed
# cities of 100 000–500 000 people, six of them verified, so each of those has five
# verified peers and the peer figures show; one is published with its consent.
# (name, country, population, economy, locale, performance 0–1, stage)
DEMO_CITIES: tuple[tuple[str, str, int, str, str, float, str], ...] = (
    ("Brightwater", "GB", 320_000, "developed", "en", 1.0, "published"),
    ("Valmont", "FR", 210_000, "developed", "fr", 0.92, "verified"),
    ("Sant Quirze Nou", "ES", 145_000, "developed", "es", 0.8, "verified"),
    ("Kleinfeld", "DE", 410_000, "developed", "en", 0.86, "verified"),
    ("Porto Azul", "PT", 275_000, "developed", "en", 0.74, "verified"),
    ("Novaya Reka", "EE", 390_000, "developed", "ru", 0.68, "verified"),
    ("Aster Vale", "NZ", 130_000, "developed", "en", 0.62, "data_collection"),
    ("Qasr al-Ward", "JO", 240_000, "developing", "ar", 0.72, "verified"),
    ("Wadi Zahra", "EG", 620_000, "developing", "ar", 0.66, "verified"),
    ("Shanhe", "CN", 780_000, "developing", "zh", 0.8, "in_verification"),
    ("Grand Meridian", "US", 1_450_000, "developed", "en", 0.9, "submitted"),
    ("Río Claro", "CO", 68_000, "developing", "es", 0.58, "data_collection"),
)

# Figures that do not grow with the city's size (rates, times, shares, concentrations).
INTENSIVE = frozenset({
    "pm25", "pm10", "no2", "so2", "o3", "life_exp", "gini", "resp_time", "tt_peak",
    "tt_free", "earn_f", "earn_m", "prot_area", "ped_area",
})

DEMO_INITIATIVES = (
    ("en-energy", "Solar roofs on every school", "Photovoltaic panels on 48 public schools, "
     "financed by a green bond.", "ongoing", "https://example.org/solar-schools"),
    ("ec-transport", "Bus rapid transit line 1", "A 14 km bus corridor with level boarding "
     "and real-time information at every stop.", "completed", None),
    ("sc-housing", "Affordable homes programme", "1 200 rental homes below market rent by "
     "2030.", "planned", None),
)


def _formula_roles(catalog) -> dict[str, str]:
    """Each data point's role in the KPI formulas: base, capped, scaled or intensive."""
    roles: dict[str, str] = {}

    def mark(dp_id: str, role: str) -> None:
        if roles.get(dp_id) != "base":  # a denominator anywhere scales with the city
            roles[dp_id] = role

    def walk(kind: str, params: dict) -> None:
        if kind == "per_item":
            for sub in params["items"].values():
                walk(sub["kind"], sub["params"])
            return
        for key in ("denominator", "total"):
            if isinstance(params.get(key), str):
                roles[params[key]] = "base"
        if kind in ("ratio_percent", "parts_percent"):
            for dp_id in [params.get("numerator"), *params.get("parts", ())]:
                if dp_id:
                    mark(dp_id, "capped")  # a share must stay at most 100 %
        elif kind == "loss_percent":
            mark(params["used"], "capped")
        elif kind in ("per_100k", "per_capita", "per_capita_per_day", "ratio", "direct"):
            dp_id = params.get("numerator") or params.get("value")
            mark(dp_id, "intensive" if dp_id in INTENSIVE else "scaled")
        elif kind == "parts_direct":
            for dp_id in params["parts"]:
                mark(dp_id, "intensive" if dp_id in INTENSIVE else "keep")

    for kpi in catalog.kpis:
        walk(kpi.formula.kind, dict(kpi.formula.params))
    return roles


def variant_values(catalog, seed: int, population: int, performance: float
                   ) -> dict[str, float | bool | None]:
    """Demoville's figures resized to another city and varied by how well it performs."""
    import random

    rng = random.Random(seed)
    size = population / DEMO_POPULATION
    roles = _formula_roles(catalog)
    values: dict[str, float | bool | None] = {}
    for dp_id, base in DEMO_VALUES.items():
        role = roles.get(dp_id, "base")
        if base is None or (role in ("capped", "scaled") and rng.random() > 0.55 + 0.45
                            * performance):
            values[dp_id] = None  # not reported: weaker cities miss more figures
            continue
        if isinstance(base, bool):
            values[dp_id] = (not base) if rng.random() > 0.4 + 0.6 * performance else base
            continue
        factor = performance * rng.uniform(0.8, 1.15)
        if role == "base":
            value = base * size
        elif role == "capped":
            value = base * size * min(1.0, factor)
        elif role == "scaled":
            value = base * size * factor
        elif role == "intensive":
            value = base * rng.uniform(0.85, 1.2)
        else:
            value = base
        values[dp_id] = round(value) if isinstance(base, int) else round(value, 2)
    values["pop"] = population
    if isinstance(values.get("tt_peak"), int | float) and isinstance(values.get("tt_free"),
                                                                      int | float):
        values["tt_peak"] = max(values["tt_peak"], values["tt_free"])
    return values


def load_demo_cities(count: int = 12) -> list:
    """Create `count` demo cities (at most 12) with full data, scored, at their stages."""
    from intake.models.city import ProgrammeStage
    from intake.services import gains, improvement, publication
    from intake.services.cities import create_city
    from intake.services.pipeline import STAGES, move_city
    from intake.services.scoring import get_catalog
    from intake.services.values import mark_category_complete, set_city_values

    catalog = get_catalog()
    needed = {point.id for kpi in catalog.kpis for point in kpi.data_points}
    cities = []
    for seed, spec in enumerate(DEMO_CITIES[:count], start=1):
        name, country, population, economy, locale, performance, stage = spec
        values = variant_values(catalog, seed, population, performance)
        slug = name.lower().replace(" ", "-")
        city = create_city(name=name, country=country, population=population, economy=economy,
                           package="verification", locale=locale,
                           focal_point_name=f"Focal point of {name}",
                           focal_point_email=f"focal.point@{slug}.example")
        provenance = demo_provenance(kpi.code for kpi in catalog.kpis)
        for row in provenance.values():
            row["source"] = f"{name} statistics office"
        set_city_values(city.id, {k: v for k, v in values.items() if k in needed},
                        actor=DEMO_ACTOR, reason="demo data set", provenance=provenance)
        for category in catalog.categories:
            mark_category_complete(city.id, category.id, actor=DEMO_ACTOR)
        target = ProgrammeStage(stage)
        for step in STAGES[STAGES.index(ProgrammeStage.DATA_COLLECTION) + 1:]:
            if STAGES.index(step) > STAGES.index(target):
                break
            if step == ProgrammeStage.PUBLISHED:
                publication.give_consent(city.id, actor=DEMO_ACTOR, include_initiatives=True)
            move_city(city.id, step, actor=None, note="demo data set")
        if seed <= 3:
            for category_id, title, description, status, link in DEMO_INITIATIVES:
                improvement.save_initiative(city.id, category_id=category_id, title=title,
                                            description=description, status=status,
                                            link=link)
        if target in gains.VERIFIED_STAGES:
            improvement.generate_draft(city.id, author=DEMO_ACTOR)
        cities.append(city)
    return cities


def snapshot_url(city) -> str:
    """The read-only snapshot link: it never opens the workspace."""
    from intake.services.links import snapshot_url as read_only_link

    return read_only_link(city)


def workspace_url(city) -> str:
    """The workspace link, which can change the figures: printed apart and labelled."""
    from intake.services.links import workspace_url as workspace_link

    return workspace_link(city)


@click.group("demo")
def demo_group() -> None:
    """Demo data for a first look at the portal."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True,
              help="Only when the database has no city yet (safe to run on every start).")
@click.option("--cities", "count", type=click.IntRange(1, 200_000), default=None,
              help="Instead of Demoville, create this many demo cities across sizes and "
                   "economies, several verified and one published; beyond 12, generated "
                   "cities are written in bulk (10 000 take a few minutes).")
def demo_load(if_empty: bool, count: int | None) -> None:
    """Create Demoville (or --cities N demo cities) with complete data; print the links."""
    from intake.extensions import db
    from intake.models import City

    if if_empty and db.session.execute(select(func.count(City.id))).scalar_one() > 0:
        existing = find_demo_city()
        message = {"created": False, "reason": "the database already has cities"}
        if existing is not None:
            message["snapshot_url"] = snapshot_url(existing)
            message["workspace_url"] = workspace_url(existing)
        click.echo(json.dumps(message, ensure_ascii=False))
        return
    if count is not None and count > len(DEMO_CITIES):
        from intake.demo_bulk import load_bulk_cities

        click.echo(json.dumps(load_bulk_cities(count), ensure_ascii=False))
        return
    if count is not None:
        cities = load_demo_cities(count)
        click.echo(json.dumps({"created": True, "cities": [
            {"city_id": city.id, "name": city.name, "stage": str(city.stage.value),
             "snapshot_url": snapshot_url(city), "workspace_url": workspace_url(city)}
            for city in cities]}, ensure_ascii=False))
        return
    city = load_demo()
    click.echo(json.dumps({"created": True, "city_id": city.id, "name": city.name,
                           "snapshot_url": snapshot_url(city),
                           "workspace_url": workspace_url(city)}, ensure_ascii=False))
