"""The schema comes from migrations that match the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from intake.extensions import db
from intake.models import City
from intake.services.cities import create_city


def test_migrations_match_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models changed without a migration: run `make migration`"


def test_sqlite_connections_are_configured(sqlite_app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_city_round_trip(app):
    city = create_city(name="Ålesund", population=66_000, country="no", economy="developed")
    db.session.expire_all()
    stored = db.session.get(City, city.id)
    assert stored.name == "Ålesund" and stored.country == "NO"
    assert stored.stage == "data_collection"
    assert db.session.execute(text("SELECT count(*) FROM city")).scalar() == 1


def test_cities_create_command(runner):
    result = runner.invoke(args=["cities", "create", "--name", "Bizerte", "--population",
                                 "142966", "--economy", "developing"])
    assert result.exit_code == 0, result.output
    assert '"name": "Bizerte"' in result.output and "/w/" in result.output


def test_cities_create_refuses_bad_population(runner):
    result = runner.invoke(args=["cities", "create", "--name", "X", "--population", "-5"])
    assert result.exit_code != 0
    assert "population" in result.output.lower()


def test_letters_written_before_download_keys_get_a_key_of_their_own(tmp_path):
    from flask_migrate import downgrade, upgrade

    from intake import create_app

    url = f"sqlite:///{tmp_path / 'older.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO city (id, name, population, economy, stage, access_key, locale, "
                "created_at, updated_at) SELECT 1, 'Older', 1000, 'developed', "
                "'letter_received', 'k', 'en', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"))
            for letter_id in (1, 2):
                connection.execute(text(
                    "INSERT INTO letter (id, city_id, locale, template_version, fee, content, "
                    "created_at) VALUES (:id, 1, 'en', 'v1', '{}', '{}', CURRENT_TIMESTAMP)"),
                    {"id": letter_id})
        upgrade()
        with db.engine.connect() as connection:
            keys = connection.execute(text("SELECT download_key FROM letter")).scalars().all()
        assert len(keys) == 2 and all(keys) and len(set(keys)) == 2
        downgrade(revision="0001")
        db.engine.dispose()
