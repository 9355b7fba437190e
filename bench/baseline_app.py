"""The bare-Flask baseline: the least work a GET and a form POST can do.

GET / returns a short string; POST /submit validates a 6-field WTForms form and inserts
one row into SQLite. Every ratio in bench/RESULTS.md is the portal's rate over this app's,
measured in the same run on the same machine.
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, request
from wtforms import Form, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

DATABASE = os.environ.get("BASELINE_DB", "/tmp/u4ssc-baseline.db")


class EntryForm(Form):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    email = StringField(validators=[DataRequired(), Length(max=320)])
    city = StringField(validators=[DataRequired(), Length(max=200)])
    country = StringField(validators=[DataRequired(), Length(min=2, max=2)])
    population = IntegerField(validators=[DataRequired(), NumberRange(min=1)])
    note = StringField(validators=[Length(max=2000)])


def _connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, timeout=15, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def create_baseline() -> Flask:
    app = Flask(__name__)
    with _connect() as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS entry (id INTEGER PRIMARY KEY, name TEXT, email TEXT,"
            " city TEXT, country TEXT, population INTEGER, note TEXT)"
        )

    @app.get("/")
    def index():
        return "ok"

    @app.post("/submit")
    def submit():
        form = EntryForm(request.form)
        if not form.validate():
            return {"errors": form.errors}, 400
        connection = _connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO entry (name, email, city, country, population, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (form.name.data, form.email.data, form.city.data, form.country.data,
                 form.population.data, form.note.data),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        return "saved", 201

    return app


app = create_baseline()
