from dangjian import permissions
from dangjian.audit.models import AuditEntry


def entries_for(actor, *, org=None, object_type: str | None = None, object_id=None):
    """Audit entries in the actor's scope (admins only), newest first."""
    qs = AuditEntry.objects.filter(permissions.admin_scope_q(actor, "org__path"))
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    return qs.select_related("org")
