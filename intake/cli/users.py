"""`flask users …`: staff accounts (create, disable, enable, list), API tokens, second factor."""

from __future__ import annotations

import json
import sys

import click

from intake.models.user import UserRole


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line from standard input, for scripts: `printf '%s\n' "$PW" | flask users …`.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in UserRole]))
@click.option("--name", default="", help="The person's name, shown on the staff pages.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account; the password is asked for twice (at least 12 characters)."""
    from intake.services.accounts import AccountError, create_user

    password = _read_password(password_stdin)
    try:
        user = create_user(email=email, password=password, role=role, name=name)
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps({"id": user.id, "email": user.email, "role": str(user.role)}))


@users_group.command("disable")
@click.option("--email", required=True)
def users_disable(email: str) -> None:
    """Disable an account: it can no longer sign in and its open sessions end now."""
    from intake.services.accounts import disable_user, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email!r}")
    disable_user(user)
    click.echo(json.dumps({"id": user.id, "email": user.email, "active": False}))


@users_group.command("set-password")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(email: str, password_stdin: bool) -> None:
    """Give an account a new password (ends its sessions)."""
    from intake.services.accounts import AccountError, find_user, set_password

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email!r}")
    try:
        set_password(user, _read_password(password_stdin))
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps({"id": user.id, "email": user.email, "password_changed": True}))


@users_group.command("list")
def users_list() -> None:
    """List the staff accounts as JSON lines."""
    from intake.services.accounts import list_users

    for user in list_users():
        click.echo(json.dumps({"id": user.id, "email": user.email, "name": user.name,
                               "role": str(user.role), "active": user.active},
                              ensure_ascii=False))


@users_group.command("token")
@click.option("--email", required=True)
@click.option("--name", required=True, help="What the token is for, e.g. \"nightly export\".")
def users_token(email: str, name: str) -> None:
    """Make an API token for a staff account; it is printed once and never stored."""
    from intake.services.accounts import find_user
    from intake.services.api_tokens import create_token

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email!r}")
    try:
        row, token = create_token(user, name)
    except ValueError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps({"id": row.id, "email": user.email, "name": row.name,
                           "token": token}, ensure_ascii=False))


@users_group.command("enable")
@click.option("--email", required=True)
def users_enable(email: str) -> None:
    """Let a disabled account sign in again; its old API tokens stay revoked."""
    from intake.services.accounts import enable_user, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email!r}")
    enable_user(user)
    click.echo(json.dumps({"id": user.id, "email": user.email, "active": True}))


@users_group.command("tokens")
@click.option("--email", default=None, help="Only this account's tokens.")
def users_tokens(email: str | None) -> None:
    """List API tokens as JSON lines (never the tokens themselves: only hashes are kept)."""
    from intake.services.accounts import find_user
    from intake.services.api_tokens import all_tokens, tokens_of

    if email is not None:
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account with the e-mail address {email!r}")
        rows = tokens_of(user)
    else:
        rows = all_tokens()
    for row in rows:
        click.echo(json.dumps({
            "id": row.id, "email": row.user.email, "name": row.name,
            "created_at": row.created_at.isoformat(timespec="seconds") + "Z",
            "last_used_at": (row.last_used_at.isoformat(timespec="seconds") + "Z"
                             if row.last_used_at else None),
            "revoked": row.revoked}, ensure_ascii=False))


@users_group.command("revoke")
@click.option("--id", "token_id", required=True, type=int, help="The token's id (see `tokens`).")
def users_revoke(token_id: int) -> None:
    """Revoke an API token: programs using it are refused from the next request."""
    from intake.services.api_tokens import revoke_token

    if not 0 < token_id < 2**31 or not revoke_token(token_id):
        raise click.ClickException(f"no active token with the id {token_id}")
    click.echo(json.dumps({"id": token_id, "revoked": True}))


@users_group.command("reset-totp")
@click.option("--email", required=True)
def users_reset_totp(email: str) -> None:
    """Remove an account's second factor (a lost phone) and end its sessions; it is set up
    again at the next sign-in."""
    from intake.services.accounts import find_user, reset_totp

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail address {email!r}")
    reset_totp(user)
    click.echo(json.dumps({"id": user.id, "email": user.email, "second_factor": False}))
