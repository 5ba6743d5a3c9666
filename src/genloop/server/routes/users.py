"""REST routes for users, service accounts (server-wide: ``users.manage``) and roles per project
(``members.manage`` to change, ``project.read`` to list). Passwords go in, never come out."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from genloop.auth import Membership, RoleService, UserInfo, UserService
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["users"], default_response_class=JSONResponse)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    name: str
    email: str = ""
    password: str | None = Field(default=None, description="For Studio login (8+ characters); none for service")
    service: bool = Field(default=False, description="A service account: owns keys, has no password, no role")


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    password: str


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    role: str = Field(description="admin, editor, reviewer, annotator or viewer")


@router.post("/users", response_model=UserInfo, status_code=201)
def create_user(body: UserCreate, store: StoreDep, actor: ActorDep) -> UserInfo:
    """Create a user (or a service account)."""
    return UserService(store, actor).create(body.name, email=body.email, password=body.password,
                                            service=body.service)


@router.get("/users", response_model=list[UserInfo])
def list_users(store: StoreDep, include_inactive: bool = False) -> list[UserInfo]:
    """Users and service accounts, by name (deactivated ones only when asked)."""
    return UserService(store).list(include_inactive=include_inactive)


@router.get("/users/{name}", response_model=UserInfo)
def get_user(name: str, store: StoreDep) -> UserInfo:
    return UserService(store).get(name)


@router.post("/users/{name}/deactivate", response_model=UserInfo)
def deactivate_user(name: str, store: StoreDep, actor: ActorDep) -> UserInfo:
    """Deactivate a user and revoke all their keys at once; their audit history stays."""
    return UserService(store, actor).deactivate(name)


@router.post("/users/{name}/password", response_model=UserInfo)
def set_password(name: str, body: PasswordSet, store: StoreDep, actor: ActorDep) -> UserInfo:
    """Set a person's Studio password."""
    return UserService(store, actor).set_password(name, body.password)


@router.get("/projects/{project}/members", response_model=list[Membership])
def list_members(project: str, store: StoreDep) -> list[Membership]:
    """Users with a role in the project."""
    return RoleService(store, project).list()


@router.put("/projects/{project}/members/{user}", response_model=Membership)
def grant_role(project: str, user: str, body: RoleGrant, store: StoreDep, actor: ActorDep) -> Membership:
    """Give a user a role in the project (replacing the one they had)."""
    return RoleService(store, project, actor).grant(user, body.role)


@router.delete("/projects/{project}/members/{user}", response_model=Membership)
def revoke_role(project: str, user: str, store: StoreDep, actor: ActorDep) -> Membership:
    """Take a user's role in the project away."""
    return RoleService(store, project, actor).revoke(user)
