"""Who may see what: dashboard users with a role (admin: every tenant; manager: the tenants
listed for them) and salted password hashes, checked in the same time whether or not the user
exists. Every tenant read in the dashboards goes through
:meth:`User.require`, which answers a tenant the user may not see exactly as an unknown one, so
nothing tells a manager that another tenant exists."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from werkzeug.security import check_password_hash, generate_password_hash

from matrix.errors import NotFoundError, UsageError
from matrix.issues import Issues
from matrix.storage.users import UserRow

Role = Literal["admin", "manager"]
ROLES = ("admin", "manager")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


@dataclass(frozen=True, kw_only=True)
class User:
    username: str
    role: Role
    tenants: tuple[str, ...] = field(default_factory=tuple)

    # Flask-Login's user protocol.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.username

    def visible(self, store: Any) -> list[str]:
        """The tenants this user may see, in id order."""
        every = [t.tenant_id for t in store.tenants.list()]
        return every if self.role == "admin" else [t for t in every if t in self.tenants]

    def require(self, store: Any, tenant_id: str | None) -> str:
        """``tenant_id`` when this user may see it; otherwise the same error as an unknown tenant."""
        if not tenant_id or not isinstance(tenant_id, str):  # a forged request may send any JSON
            raise UsageError("Choose a tenant.")
        if self.role != "admin" and tenant_id not in self.tenants:
            raise NotFoundError(f"Unknown tenant {tenant_id!r}.")
        store.tenants.require(tenant_id)
        return tenant_id


def add_user(store: Any, username: str, password: str, *, role: str, tenants: list[str] | tuple[str, ...] = (),
             now: datetime | None = None) -> User:  # fmt: skip
    """Create or replace a user; a manager needs at least one existing tenant, an admin none (an
    admin sees every tenant)."""
    issues = Issues()
    if not _NAME.fullmatch(username or ""):
        issues.error(
            "username",
            f"username {username!r} must be 2-63 lowercase letters, digits, '.', '_' or '-'",
        )
    if role not in ROLES:
        issues.error("role", f"role must be admin or manager, got {role!r}")
    if len(password or "") < 8:
        issues.error("password", "password must have at least 8 characters")
    if role == "manager" and not tenants:
        issues.error("tenants", "a manager needs at least one tenant (--tenant ID)")
    if role == "admin" and tenants:
        issues.error("tenants", f"an admin sees every tenant, so --tenant {', '.join(tenants)} would mean"
                                " nothing; drop --tenant, or use --role manager to limit the user to it")  # fmt: skip
    issues.raise_invalid("")
    for tenant in tenants:
        store.tenants.require(tenant)
    user = User(username=username, role=role, tenants=tuple(sorted(set(tenants))))  # type: ignore[arg-type]
    store.users.replace(UserRow(username=username, password_hash=generate_password_hash(password), role=role,
                                tenants=user.tenants, created_at=now or store.clock.now()))  # fmt: skip
    store.sessions.revoke_user(username)  # a new password or role ends the old sign-ins
    return user


def _load(store: Any, username: str) -> tuple[User, str] | None:
    """The user and their password hash, in one read."""
    row = store.users.get(username or "")
    if row is None:
        return None
    return User(username=username, role=row.role, tenants=row.tenants), row.password_hash


def get_user(store: Any, username: str) -> User | None:
    found = _load(store, username)
    return found[0] if found else None


@functools.cache
def _stand_in_hash() -> str:
    # Same method and cost as a real user's hash, so that checking it takes as long.
    return generate_password_hash(secrets.token_urlsafe(24))


def authenticate(store: Any, username: str, password: str) -> User | None:
    """The user when the password matches, else None. An unknown user costs the same time as a
    known one (a stand-in hash is checked), so the answer's time does not reveal who exists."""
    found = _load(store, username)
    stored = found[1] if found is not None else _stand_in_hash()
    matches = check_password_hash(stored, password or "")
    return found[0] if found is not None and matches else None


def prepare_sign_in() -> None:
    """Make the stand-in hash now, so the first unknown user is not slower than the rest."""
    _stand_in_hash()


def list_users(store: Any) -> list[dict[str, Any]]:
    return [{"username": r.username, "role": r.role, "tenants": ", ".join(r.tenants) or "(all)",
             "created_at": r.created_at} for r in store.users.list()]  # fmt: skip
