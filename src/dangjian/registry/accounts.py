"""Taking an account back: API tokens listed and revoked by their owner, and every
credential of an account (its API tokens, its sessions and its WeChat binding) ended at once.

Sessions are ended through the account's `credentials_version`, which is part of the hash
Django keeps in each session (`User.get_session_auth_hash`): raising it makes every session
of the account fail Django's own check on its next request, whatever the session store."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry.models import ApiToken, Member, Organization, User, WechatBinding


def account_org(user: User) -> Organization | None:
    """The organization an account's own audit entries are filed under: its member's
    branch, none for an account that is no member's."""
    member = Member.objects.select_related("branch").filter(user=user).first()
    return member.branch if member else None


@transaction.atomic
def revoke_all_credentials(*, user: User, actor: User | None = None, reason: str) -> int:
    """End every API token and every session of the account; returns how many tokens
    were revoked. `user` is updated in place, so a view that wants to keep the session
    that made the change can call `update_session_auth_hash(request, user)` afterwards.
    Callers: password changes and resets, a member marked as left, sign-out-everywhere,
    and any other flow that hands the account to someone new."""
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(credentials_version=F("credentials_version") + 1)
    user.refresh_from_db(fields=["credentials_version"])
    audit.record(
        actor=actor,
        action="user.revoke_credentials",
        obj=user,
        org=account_org(user),
        after={"reason": reason, "tokens": revoked},
    )
    # A WeChat binding signs the account in too (registry.wechat): it ends as well, but for
    # the owner's own password change (their WeChat is still theirs).
    if reason != "password_changed":
        unbound, _rest = WechatBinding.objects.filter(user=user).delete()
        if unbound:
            audit.record(
                actor=actor,
                action="wechat.unbind",
                obj=user,
                org=account_org(user),
                after={"reason": reason},
            )
    return revoked


@transaction.atomic
def sign_out_everywhere(*, actor: User, member: Member) -> int:
    """An admin in scope ends every sign-in of a member's account (a lost phone, a
    phone number given back)."""
    permissions.require(actor, Action.CHANGE, member)
    if not permissions.is_admin_over_account(actor, member.user):
        raise DomainError("forbidden", _("该账号拥有超出您管理范围的管理权限，您不能让它退出登录"))
    return revoke_all_credentials(user=member.user, actor=actor, reason="sign_out_everywhere")


@transaction.atomic
def revoke_token(*, user: User, token_id: int) -> None:
    """The owner revokes one of their tokens; someone else's token is not found."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise permissions.not_found()
    _delete_token(user, token)


@transaction.atomic
def revoke_token_key(*, user: User, key: str) -> None:
    """Logout: the token the request came with stops working."""
    token = ApiToken.objects.filter(user=user, key_hash=ApiToken.hash_key(key)).first()
    if token is not None:
        _delete_token(user, token)


def _delete_token(user: User, token: ApiToken) -> None:
    audit.record(
        actor=user,
        action="user.revoke_token",
        obj=token,
        org=account_org(user),
        label=f"token {token.pk} of {user}",
        before={"token_id": token.pk, "expires_at": token.expires_at.isoformat()},
    )
    token.delete()


def forget_expired_tokens() -> int:
    """Delete the API tokens past their expiry (scheduled): they sign nothing in any more,
    the token list shows only live ones, and the table would otherwise keep every token
    every phone was ever given."""
    deleted, _rest = ApiToken.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted
