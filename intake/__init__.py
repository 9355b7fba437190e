"""U4SSC Intake: the Flask application factory."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from intake.config import ConfigError, build_config

__all__ = ["ConfigError", "create_app"]


class Portal(Flask):
    """Flask, minus a per-request cost: `ensure_sync` asked `inspect` whether each of the
    request's sixteen hooks and its view is a coroutine on every request (about a tenth of a
    bare portal request). The answer never changes for a function, so it is kept."""

    def ensure_sync(self, func):
        cache = self.__dict__.setdefault("_sync_functions", {})
        try:
            return cache[func]
        except KeyError:
            wrapped = super().ensure_sync(func)
            cache[func] = wrapped
            return wrapped
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. `config` overrides the environment (used by tests)."""
    app = Portal(__name__, instance_relative_config=True)
    configure_settings(app, config)
    register_request_limits(app)
    register_extensions(app)
    register_i18n(app)
    register_security(app)
    register_assets(app)
    register_blueprints(app)
    register_error_pages(app)
    register_commands(app)
    return app


def configure_settings(app: Flask, overrides: dict[str, Any] | None) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(build_config(app.instance_path, overrides))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("intake").setLevel(logging.INFO)


def register_request_limits(app: Flask) -> None:
    from intake.request_limits import init_request_limits

    init_request_limits(app)


def register_extensions(app: Flask) -> None:
    from intake import models  # noqa: F401  (the whole schema, for Alembic)
    from intake.auth import init_login
    from intake.database import configure_sqlite
    from intake.extensions import csrf, db, limiter, mail, migrate

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    _check_csrf_on_writes_only(app)
    mail.init_app(app)
    limiter.init_app(app)
    init_login(app)  # Flask-Login with a session token rotated on logout


def _check_csrf_on_writes_only(app: Flask) -> None:
    """Flask-WTF's hook works out whether the view is exempt before it looks at the method,
    on every GET too; ask the method first (the same checks, in a cheaper order)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__name__", "") == "csrf_protect" and \
                hook.__module__ == "flask_wtf.csrf":
            hooks[index] = _writes_only(hook, app.config)
            return


def _writes_only(hook, config):
    from flask import request

    def csrf_protect():
        if request.method not in config["WTF_CSRF_METHODS"]:
            return None
        return hook()

    return csrf_protect


def register_i18n(app: Flask) -> None:
    from intake.extensions import babel
    from intake.i18n import (
        bidi_isolate,
        language_url,
        remember_explicit_choice,
        select_locale,
        template_context,
    )

    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(template_context)
    app.add_template_filter(bidi_isolate, "isolate")
    app.add_template_global(language_url, "language_url")
    app.after_request(remember_explicit_choice)


def register_security(app: Flask) -> None:
    from intake.logs import mask_links_in_logs
    from intake.security import configure_proxies, configure_security_headers
    from intake.wizard.team_access import colleague_link_headers

    configure_proxies(app)
    # Registered before Talisman so it runs after it: Talisman sets one Referrer-Policy
    # for every page, and a colleague's pages must send none.
    app.after_request(colleague_link_headers)
    configure_security_headers(app)
    mask_links_in_logs()


def register_assets(app: Flask) -> None:
    from intake.assets import init_assets

    init_assets(app)


def register_blueprints(app: Flask) -> None:
    from intake.api import init_api
    from intake.auth import bp as auth_bp
    from intake.bot import bp as bot_bp
    from intake.exports import bp as exports_bp
    from intake.gains import bp as gains_bp
    from intake.letter.views import bp as letters_bp
    from intake.local_kpis import bp as local_kpis_bp
    from intake.main import bp as main_bp
    from intake.programme.views import bp as programme_bp
    from intake.public import bp as public_bp
    from intake.questions import bp as questions_bp
    from intake.secretariat import bp as secretariat_bp
    from intake.services import mail as _mail_jobs  # noqa: F401  (registers the mail job)
    from intake.services import reminders as _reminder_jobs  # noqa: F401  (its jobs)
    from intake.services.scoring import init_scoring
    from intake.services.summaries import init_summaries
    from intake.snapshot import bp as snapshot_bp
    from intake.verification import bp as verification_bp
    from intake.wizard import bp as wizard_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(secretariat_bp)
    init_api(app)  # the /api/v1 blueprint and its OpenAPI document
    app.register_blueprint(bot_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(wizard_bp)
    app.register_blueprint(snapshot_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(verification_bp)
    app.register_blueprint(questions_bp)
    app.register_blueprint(gains_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(programme_bp)
    app.register_blueprint(local_kpis_bp)
    init_scoring(app)
    init_summaries()


def register_error_pages(app: Flask) -> None:
    from intake.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from intake.cli import register_cli
    from intake.i18n import register_i18n_commands

    register_i18n_commands(app)
    register_cli(app)
