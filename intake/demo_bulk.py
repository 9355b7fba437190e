"""`flask demo load --cities N` beyond the twelve named cities: thousands, in bulk inserts.

Each city gets what a real one has after a year in the programme: a letter, its 147 figures
with provenance, every category complete and scored, its step with the move that put it
there, a verifier once in verification, consent once published. Figures come from a few
dozen profiles (Demoville resized and varied) and are scored once per profile in-process;
each city's score rows still carry its own input hash, as the scoring job would write them.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import insert, select, text

from intake.demo import DEMO_ACTOR, demo_provenance, variant_values
from intake.extensions import db
from intake.models._types import utcnow

BATCH = 250
PROFILES = 48
# How a programme's cities spread over its steps.
STAGE_WEIGHTS = (("letter_received", 8), ("acknowledged", 7), ("data_collection", 35),
                 ("submitted", 10), ("in_verification", 10), ("verified", 18),
                 ("published", 12))
COUNTRIES = ("GB", "FR", "ES", "DE", "PT", "EE", "NZ", "JO", "EG", "CN", "US", "CO", "BR",
             "IN", "KE", "MX", "JP", "IT", "SE", "AE", "RU", "AR", "TR", "ZA", "ID", "CA")
LOCALES = ("en", "fr", "es", "ar", "zh", "ru")
PREFIXES = ("North", "South", "East", "West", "New", "Upper", "Lower", "Port", "Saint",
            "Lake", "Old", "Great")
ROOTS = ("haven", "field", "ford", "bridge", "vale", "brook", "mont", "stad", "burg",
         "polis", "ville", "grad", "abad", "pur", "ton", "mouth", "wick", "dale")
STEMS = ("Ash", "Bel", "Cor", "Dun", "El", "Fair", "Glen", "Har", "Iver", "Kel", "Lin", "Mar",
         "Nor", "Oak", "Pen", "Ros", "Sil", "Tor", "Val", "Wen")


def _name(index: int) -> str:
    stem = STEMS[index % len(STEMS)] + ROOTS[(index // len(STEMS)) % len(ROOTS)]
    prefix = PREFIXES[(index // (len(STEMS) * len(ROOTS))) % len(PREFIXES)]
    round_ = index // (len(STEMS) * len(ROOTS) * len(PREFIXES))
    return f"{prefix} {stem}" + (f" {round_ + 1}" if round_ else "")


def _profiles(catalog) -> list[dict]:
    """A few dozen (population, economy, figures, scores) from which every city is drawn."""
    from intake.services.scoring import build_payload
    from scoring.jobs import score_category

    rng = random.Random(17)
    needed = {point.id for kpi in catalog.kpis for point in kpi.data_points}
    profiles = []
    for number in range(PROFILES):
        population = rng.choice((45_000, 80_000, 140_000, 260_000, 420_000, 750_000,
                                 1_300_000, 2_800_000))
        performance = rng.uniform(0.5, 1.0)
        values = {key: value for key, value in
                  variant_values(catalog, 1000 + number, population, performance).items()
                  if key in needed}
        payloads = {category.id: build_payload(catalog, 0, category.id, values)
                    for category in catalog.categories}
        profiles.append({
            "population": population, "economy": ("developed", "developing")[number % 2],
            "values": values, "payloads": payloads,
            "results": {cid: score_category(p) for cid, p in payloads.items()},
        })
    return profiles


def _stages(count: int, rng: random.Random) -> list[str]:
    """Every step once first (so even a small load shows each list), then by weight."""
    names = [name for name, _weight in STAGE_WEIGHTS]
    weights = [weight for _name, weight in STAGE_WEIGHTS]
    return (names + rng.choices(names, weights=weights, k=max(0, count - len(names))))[:count]


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows: PostgreSQL's COPY where available (tens of times faster than
    multi-row INSERTs for the 1.5 million values of 10 000 cities), else one executemany."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    import json

    table = model.__table__
    columns = [column for column in table.columns if column.name in rows[0]]
    json_columns = {column.name for column in columns
                    if column.type.__class__.__name__ == "JSON"}
    names = ", ".join(f'"{column.name}"' for column in columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[column.name]) if column.name in json_columns
                            and row[column.name] is not None else _plain(row[column.name])
                            for column in columns])


def _plain(value):
    # COPY writes enum members by their value, as the ORM's Enum type would.
    return value.value if hasattr(value, "value") and not isinstance(value, bool) else value


def load_bulk_cities(count: int, *, echo=None) -> dict:
    """Create `count` cities with full data in batches; returns what was made."""
    from forms.fields import format_plain
    from intake.fees import quote_fee
    from intake.letter.texts import template_version
    from intake.models import (
        CategoryScore,
        CategoryState,
        City,
        Consent,
        DataValue,
        JobRecord,
        KpiProvenance,
        Letter,
        StageChange,
        User,
        UserRole,
        VerifierAssignment,
    )
    from intake.services.scoring import get_catalog
    from intake.services.summaries import refresh
    from scoring.jobs import input_hash

    catalog = get_catalog()
    profiles = _profiles(catalog)
    rng = random.Random(count)
    verifiers = list(db.session.execute(
        select(User.id).where(User.role == UserRole.VERIFIER, User.active.is_(True))
        .order_by(User.id)).scalars())
    provenance = demo_provenance(kpi.code for kpi in catalog.kpis)
    version = template_version()
    now = utcnow()
    start = db.session.execute(select(db.func.count(City.id))).scalar_one()
    stages = _stages(count, rng)
    made = 0
    for batch_start in range(0, count, BATCH):
        indexes = range(batch_start, min(count, batch_start + BATCH))
        specs = []
        for index in indexes:
            profile = profiles[rng.randrange(PROFILES)]
            # Every 400th city reports a second time under a known name: a duplicate to flag.
            name_index = start + index - 7 if index % 400 == 399 else start + index
            country = COUNTRIES[name_index % len(COUNTRIES)]
            name = _name(name_index)
            slug = name.lower().replace(" ", "-")
            created = now - timedelta(days=rng.randint(40, 900), minutes=rng.randint(0, 1440))
            specs.append({
                "profile": profile, "stage": stages[index], "created": created,
                "entered": created + timedelta(days=rng.randint(0, 35)),
                "row": {
                    "name": name, "country": country, "population": profile["population"],
                    "economy": profile["economy"], "package": "verification",
                    "locale": LOCALES[index % len(LOCALES)],
                    "focal_point_name": f"Focal point of {name}",
                    "focal_point_email": f"focal.point@{slug}.example",
                    "stage": stages[index], "access_key": secrets.token_urlsafe(32),
                    "created_at": created, "updated_at": created,
                },
            })
        ids = list(db.session.execute(
            insert(City).returning(City.id, sort_by_parameter_order=True),
            [spec["row"] for spec in specs]).scalars())
        values, provenances, states, scores, changes, letters, consents, assigned = (
            [], [], [], [], [], [], [], [])
        jobs = []
        for city_id, spec in zip(ids, specs, strict=True):
            profile, row = spec["profile"], spec["row"]
            for dp_id, value in profile["values"].items():
                values.append({
                    "city_id": city_id, "data_point_id": dp_id,
                    "raw_text": format_plain(value), "not_available": value is None,
                    "valid": value is not None,
                    "number": None if value is None or isinstance(value, bool) else float(value),
                    "boolean": value if isinstance(value, bool) else None,
                    "version": 1, "updated_by": DEMO_ACTOR, "updated_at": spec["created"]})
            for code, data in provenance.items():
                provenances.append({"city_id": city_id, "kpi_code": code,
                                    "quality_tier": data["quality_tier"],
                                    "source": f"{row['name']} statistics office",
                                    "reference_year": 2025, "reference_year_text": "2025",
                                    "updated_at": spec["created"]})
            for category in catalog.categories:
                states.append({"city_id": city_id, "category_id": category.id,
                               "status": "complete", "version": 2, "current_step": 0,
                               "completed_at": spec["created"], "completed_by": DEMO_ACTOR,
                               "updated_at": spec["created"]})
                result = profile["results"][category.id]
                payload = dict(profile["payloads"][category.id], city_id=city_id)
                digest = input_hash(payload)
                # The finished scoring job, as a real city has one per scored category (the
                # snapshot's fingerprint reads them); its payload is left out for size.
                job_id = secrets.token_hex(16)
                jobs.append({"id": job_id, "kind": "scoring.category", "queue": "scoring",
                             "key": f"score:{city_id}:{category.id}:"
                                    f"{result['benchmark_version']}:{digest[:32]}",
                             "state": "done", "payload": {"city_id": city_id,
                                                          "category_id": category.id},
                             "attempts": 1, "created_at": spec["created"],
                             "started_at": spec["created"], "finished_at": spec["created"]})
                scores.append({
                    "city_id": city_id, "category_id": category.id, "job_id": job_id,
                    "catalog_version": result["catalog_version"],
                    "benchmark_version": result["benchmark_version"],
                    "input_hash": digest, "percent": result["percent"],
                    "band": result["band"], "scored": result["scored"],
                    "reported": result["reported"], "total": result["total"],
                    "items": [dict(item) for item in result["items"]],
                    "computed_at": spec["created"]})
            changes.append({"city_id": city_id, "from_stage": None, "to_stage": spec["stage"],
                            "note": "demo data set", "at": spec["entered"]})
            letters.append({
                "city_id": city_id, "locale": row["locale"], "template_version": version,
                "fee": quote_fee(row["population"], row["economy"]).as_dict(),
                "content": {"city_name": row["name"], "country": row["country"],
                            "focal_point_name": row["focal_point_name"],
                            "focal_point_email": row["focal_point_email"]},
                "download_key": secrets.token_urlsafe(16), "created_at": spec["created"]})
            if spec["stage"] == "published":
                consents.append({"city_id": city_id, "include_initiatives": False,
                                 "public_id": f"{row['name'].lower().replace(' ', '-')}-"
                                              f"{city_id}",
                                 "given_by": DEMO_ACTOR, "given_at": spec["entered"]})
            if verifiers and spec["stage"] in ("in_verification", "verified", "published"):
                assigned.append({"city_id": city_id, "user_id": verifiers[city_id % len(
                    verifiers)], "assigned_at": spec["entered"]})
        for model, rows in ((JobRecord, jobs), (DataValue, values), (KpiProvenance, provenances),
                            (CategoryState, states), (CategoryScore, scores),
                            (StageChange, changes), (Letter, letters), (Consent, consents),
                            (VerifierAssignment, assigned)):
            if rows:
                bulk_insert(model, rows)
        refresh(db.session.connection(), ids, with_milestones=True)
        db.session.commit()
        made += len(ids)
        if echo is not None:
            echo(made)
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics: right after millions of COPYed rows the planner would still
        # think the tables empty and scan them (the kept snapshot took 5× longer).
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    from intake.services.peers import rebuild_all

    # The peer statistics the scoring jobs would have kept, for the groups just filled.
    rebuild_all()
    return {"created": True, "cities": made}
